using System.Text.Json.Nodes;
using Lamina.Tests.Support;

namespace Lamina.Tests.Durable;

/// <summary>
/// Unmodified handlers written with the official @aws/durable-execution-sdk-js (nodejs20.x) run on Lamina:
/// results, histories and replay behaviour as AWS documents them.
/// </summary>
public sealed class DurableSdkTests(DurableFixture fixture) : IClassFixture<DurableFixture>
{
    private async Task<(AwsResponse Response, string Arn)> InvokeAsync(string function, object payload, string qualifier = "$LATEST",
        string? name = null, bool async = false)
    {
        using var client = fixture.Client();
        var headers = new Dictionary<string, string>();
        if (name is not null)
        {
            headers["X-Amz-Durable-Execution-Name"] = name;
        }

        if (async)
        {
            headers["X-Amz-Invocation-Type"] = "Event";
        }

        var response = await client.SendAsync(HttpMethod.Post, $"/2015-03-31/functions/{function}/invocations?Qualifier={Uri.EscapeDataString(qualifier)}",
            payload, headers: headers);
        Assert.True(response.Status is 200 or 202, response.ToString());
        return (response, response.Headers["X-Amz-Durable-Execution-Arn"]);
    }

    private static List<string> Types(List<JsonNode> events) => events.Select(e => e["EventType"]!.GetValue<string>()).ToList();

    [Fact]
    public async Task Steps_AroundAWait_ReplayWithoutRunningAgain()
    {
        var function = await fixture.FunctionAsync("steps");
        var (response, arn) = await InvokeAsync(function, new { n = 20 });
        Assert.False(response.Headers.ContainsKey("X-Amz-Function-Error"), response.Text);
        Assert.Equal(21, response.Json["a"]!.GetValue<int>());
        Assert.Equal(42, response.Json["b"]!.GetValue<int>());
        Assert.Matches(@"^arn:aws:lambda:us-east-1:000000000000:function:durable-steps:\$LATEST/durable-execution/[a-zA-Z0-9_-]+/[a-zA-Z0-9_-]+$", arn);

        var execution = await fixture.ExecutionAsync(arn);
        Assert.Equal("SUCCEEDED", execution["Status"]!.GetValue<string>());
        Assert.Equal("""{"n":20}""", execution["InputPayload"]!.GetValue<string>());

        var history = await fixture.HistoryAsync(arn);
        var types = Types(history);
        Assert.Equal("ExecutionStarted", types[0]);
        Assert.Equal(1, history[0]["EventId"]!.GetValue<int>());
        Assert.Equal("ExecutionSucceeded", types[^1]);
        Assert.Equal("InvocationCompleted", types[^2]);
        Assert.Equal(2, types.Count(t => t == "InvocationCompleted"));
        Assert.Equal(2, types.Count(t => t == "StepSucceeded"));
        Assert.Contains("WaitStarted", types);
        Assert.True(types.IndexOf("WaitSucceeded") > types.IndexOf("InvocationCompleted"), string.Join(",", types));
        Assert.Equal(Enumerable.Range(1, history.Count), history.Select(e => e["EventId"]!.GetValue<int>()));

        // Two invocations, but each step's code ran once: the second invocation replayed "first".
        Assert.Single(await fixture.LogLinesAsync(function, "RUN first"));
        Assert.Single(await fixture.LogLinesAsync(function, "RUN second"));
    }
}
