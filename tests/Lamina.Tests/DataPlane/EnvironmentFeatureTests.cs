using System.Text;
using Lamina.Tests.Support;

namespace Lamina.Tests.DataPlane;

/// <summary>Provisioned concurrency, response streaming and extensions through real sandboxes.</summary>
public sealed class EnvironmentFeatureTests(LaminaFixture fixture) : IClassFixture<LaminaFixture>
{
    private async Task<AwsClient> CreateAsync(string name, List<string>? layers = null, bool publish = false)
    {
        var client = fixture.Client();
        var created = await client.PostAsync("/2015-03-31/functions", TestRuntime.CreateRequest(name, layers: layers, publish: publish));
        Assert.True(created.Status == 201, created.ToString());
        return client;
    }

    /// <summary>A function with the test extension (TestExtension) in a layer of its own.</summary>
    private async Task<AwsClient> CreateWithExtensionAsync(string name)
    {
        using var client = fixture.Client();
        var layer = await client.PostAsync($"/2018-10-31/layers/{name}-layer/versions", new
        {
            Content = new { ZipFile = Convert.ToBase64String(TestExtension.LayerZip()) },
        });
        Assert.Equal(201, layer.Status);
        return await CreateAsync(name, layers: [layer.Json["LayerVersionArn"]!.GetValue<string>()]);
    }

    [Fact]
    public async Task ProvisionedConcurrency_BecomesReady_AndAnswersWithoutColdStart()
    {
        using var client = await CreateAsync("pc-fn", publish: true);
        var put = await client.PutAsync("/2019-09-30/functions/pc-fn/provisioned-concurrency?Qualifier=1", new { ProvisionedConcurrentExecutions = 2 });
        Assert.Equal(202, put.Status);
        Assert.Equal("IN_PROGRESS", put.Json["Status"]!.GetValue<string>());

        AwsResponse config = put;
        for (var i = 0; i < 100 && config.Json["Status"]?.GetValue<string>() != "READY"; i++)
        {
            await Task.Delay(200);
            config = await client.GetAsync("/2019-09-30/functions/pc-fn/provisioned-concurrency?Qualifier=1");
        }

        Assert.Equal("READY", config.Json["Status"]!.GetValue<string>());
        Assert.Equal(2, config.Json["AllocatedProvisionedConcurrentExecutions"]!.GetValue<int>());
        Assert.Equal(2, config.Json["AvailableProvisionedConcurrentExecutions"]!.GetValue<int>());

        var response = await client.SendAsync(HttpMethod.Post, "/2015-03-31/functions/pc-fn/invocations?Qualifier=1", new { action = "env" },
            headers: new Dictionary<string, string> { ["X-Amz-Log-Type"] = "Tail" });
        Assert.Equal("provisioned-concurrency", response.Json["vars"]!["AWS_LAMBDA_INITIALIZATION_TYPE"]!.GetValue<string>());
        var log = Encoding.UTF8.GetString(Convert.FromBase64String(response.Headers["X-Amz-Log-Result"]));
        Assert.DoesNotContain("Init Duration", log, StringComparison.Ordinal);

        Assert.Equal(204, (await client.DeleteAsync("/2019-09-30/functions/pc-fn/provisioned-concurrency?Qualifier=1")).Status);
        Assert.Equal("ProvisionedConcurrencyConfigNotFoundException",
            (await client.GetAsync("/2019-09-30/functions/pc-fn/provisioned-concurrency?Qualifier=1")).ErrorType);
    }

    [Fact]
    public async Task InvokeWithResponseStream_ChunksArriveAsEventsThenInvokeComplete()
    {
        using var client = await CreateAsync("stream-fn");
        var response = await client.SendAsync(HttpMethod.Post, "/2021-11-15/functions/stream-fn/response-streaming-invocations",
            new { action = "stream", chunks = new[] { "one ", "two ", "three" } });
        Assert.Equal(200, response.Status);
        Assert.Equal("application/vnd.amazon.eventstream", response.Headers["Content-Type"]);
        Assert.Equal("$LATEST", response.Headers["X-Amz-Executed-Version"]);
        var events = EventStreamMessages.Parse(response.Body);
        Assert.Equal("InvokeComplete", events[^1].EventType);
        Assert.Equal("{}", events[^1].Text);
        var chunks = events.Where(e => e.EventType == "PayloadChunk").Select(e => e.Text).ToList();
        Assert.Equal("one two three", string.Concat(chunks));
        Assert.True(chunks.Count >= 2, "chunks should arrive as separate events");
    }

    [Fact]
    public async Task InvokeWithResponseStream_MidStreamError_ReportedInInvokeComplete()
    {
        using var client = await CreateAsync("stream-err");
        var response = await client.SendAsync(HttpMethod.Post, "/2021-11-15/functions/stream-err/response-streaming-invocations",
            new { action = "stream", chunks = new[] { "partial" }, fail = true });
        var events = EventStreamMessages.Parse(response.Body);
        Assert.Equal("partial", events.First(e => e.EventType == "PayloadChunk").Text);
        var complete = System.Text.Json.Nodes.JsonNode.Parse(events[^1].Text)!;
        Assert.Equal("StreamError", complete["ErrorCode"]!.GetValue<string>());
        Assert.Equal("broke mid-stream", complete["ErrorDetails"]!.GetValue<string>());
    }

    [Fact]
    public async Task Extension_ReceivesInvokeAndShutdown()
    {
        using var client = await CreateWithExtensionAsync("ext-fn");
        var invoke = await client.SendAsync(HttpMethod.Post, "/2015-03-31/functions/ext-fn/invocations", new { action = "echo" });
        Assert.Equal(200, invoke.Status);
        var requestId = invoke.Headers["x-amzn-RequestId"];

        var lines = await FunctionLogs.LinesAsync(fixture, "ext-fn", l => l.Any(x => x.StartsWith("EXT INVOKE", StringComparison.Ordinal)));
        Assert.Contains("EXT registered ext-fn True False", lines);
        Assert.Single(lines, l => l.StartsWith("EXT INVOKE ", StringComparison.Ordinal));

        Assert.Equal(204, (await client.DeleteAsync("/2015-03-31/functions/ext-fn")).Status);
        lines = await FunctionLogs.LinesAsync(fixture, "ext-fn", l => l.Contains("EXT SHUTDOWN spindown"));
        Assert.Contains("EXT SHUTDOWN spindown", lines);
    }

    [Fact]
    public async Task UpdatedFunction_OldEnvironmentShutsDown_BeforeTheNextInvoke()
    {
        using var client = await CreateWithExtensionAsync("ext-update-fn");
        var invoke = await client.SendAsync(HttpMethod.Post, "/2015-03-31/functions/ext-update-fn/invocations", new { action = "echo" });
        Assert.Equal(200, invoke.Status);
        await FunctionLogs.LinesAsync(fixture, "ext-update-fn", l => l.Any(x => x.StartsWith("EXT INVOKE", StringComparison.Ordinal)));

        // A new revision of $LATEST: its idle environment is shut down now, not when the new revision is first invoked.
        var updated = await client.PutAsync("/2015-03-31/functions/ext-update-fn/configuration", new { Description = "revision two" });
        Assert.Equal(200, updated.Status);
        var lines = await FunctionLogs.LinesAsync(fixture, "ext-update-fn", l => l.Contains("EXT SHUTDOWN spindown"));
        Assert.Contains("EXT SHUTDOWN spindown", lines);
        Assert.Single(lines, l => l.StartsWith("EXT INVOKE ", StringComparison.Ordinal));
    }
}
