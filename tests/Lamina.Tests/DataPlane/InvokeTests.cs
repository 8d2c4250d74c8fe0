using System.Text;
using Lamina.Tests.Support;

namespace Lamina.Tests.DataPlane;

/// <summary>The invoke path through real sandboxes with a custom (provided.al2023) runtime.</summary>
public sealed class InvokeTests(LaminaFixture fixture) : IClassFixture<LaminaFixture>
{
    private async Task<AwsClient> CreateAsync(string name, int memory = 1769, int timeout = 10, Dictionary<string, string>? env = null)
    {
        var client = fixture.Client();
        var created = await client.PostAsync("/2015-03-31/functions", TestRuntime.CreateRequest(name, memory, timeout, env));
        Assert.True(created.Status == 201, created.ToString());
        return client;
    }

    private static Task<AwsResponse> InvokeAsync(AwsClient client, string name, object payload, string? qualifier = null, bool tail = false) =>
        client.SendAsync(HttpMethod.Post, $"/2015-03-31/functions/{name}/invocations" + (qualifier is null ? "" : $"?Qualifier={Uri.EscapeDataString(qualifier)}"),
            payload, headers: tail ? new Dictionary<string, string> { ["X-Amz-Log-Type"] = "Tail" } : null);

    [Fact]
    public async Task Invoke_Echo_ReturnsPayloadVersionAndLogTail()
    {
        using var client = await CreateAsync("inv-echo");
        var response = await InvokeAsync(client, "inv-echo", new { action = "echo", value = 42 }, tail: true);
        Assert.Equal(200, response.Status);
        Assert.Equal("$LATEST", response.Headers["X-Amz-Executed-Version"]);
        Assert.False(response.Headers.ContainsKey("X-Amz-Function-Error"));
        Assert.Equal(42, response.Json["event"]!["value"]!.GetValue<int>());
        var log = Encoding.UTF8.GetString(Convert.FromBase64String(response.Headers["X-Amz-Log-Result"]));
        Assert.Matches(@"START RequestId: [0-9a-f-]{36} Version: \$LATEST", log);
        Assert.Contains("END RequestId:", log, StringComparison.Ordinal);
        Assert.Matches(@"REPORT RequestId: [0-9a-f-]{36}\tDuration: [0-9.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 1769 MB\tMax Memory Used: \d+ MB\tInit Duration: [0-9.]+ ms", log);
    }

    [Fact]
    public async Task Invoke_Warm_ReusesEnvironmentAndKeepsTmp()
    {
        using var client = await CreateAsync("inv-warm");
        var first = await InvokeAsync(client, "inv-warm", new { action = "tmp-write", value = "one" });
        var second = await InvokeAsync(client, "inv-warm", new { action = "tmp-write", value = "two" });
        var read = await InvokeAsync(client, "inv-warm", new { action = "tmp-read" }, tail: true);
        Assert.Equal(first.Json["env"]!.GetValue<string>(), read.Json["env"]!.GetValue<string>());
        Assert.Equal(second.Json["env"]!.GetValue<string>(), read.Json["env"]!.GetValue<string>());
        Assert.Equal("one\ntwo\n", read.Json["tmp"]!.GetValue<string>());
        var log = Encoding.UTF8.GetString(Convert.FromBase64String(read.Headers["X-Amz-Log-Result"]));
        Assert.DoesNotContain("Init Duration", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_FunctionError_200WithUnhandledAndBodyPassedThrough()
    {
        using var client = await CreateAsync("inv-error");
        var response = await InvokeAsync(client, "inv-error", new { action = "error" });
        Assert.Equal(200, response.Status);
        Assert.Equal("Unhandled", response.Headers["X-Amz-Function-Error"]);
        Assert.Equal("TestError", response.Json["errorType"]!.GetValue<string>());
        Assert.Equal("failed on purpose", response.Json["errorMessage"]!.GetValue<string>());
    }

    [Fact]
    public async Task Invoke_Timeout_SandboxTimedoutThenResetKeepsTmp()
    {
        using var client = await CreateAsync("inv-timeout", timeout: 1);
        var before = await InvokeAsync(client, "inv-timeout", new { action = "tmp-write", value = "kept" });
        var response = await InvokeAsync(client, "inv-timeout", new { action = "sleep", seconds = 5 });
        Assert.Equal(200, response.Status);
        Assert.Equal("Unhandled", response.Headers["X-Amz-Function-Error"]);
        Assert.Equal("Sandbox.Timedout", response.Json["errorType"]!.GetValue<string>());
        Assert.Matches(@"^RequestId: [0-9a-f-]{36} Error: Task timed out after 1\.00 seconds$", response.Json["errorMessage"]!.GetValue<string>());

        var after = await InvokeAsync(client, "inv-timeout", new { action = "tmp-read" });
        Assert.Equal(200, after.Status);
        Assert.NotEqual(before.Json["env"]!.GetValue<string>(), after.Json["env"]!.GetValue<string>());
        Assert.Equal("kept\n", after.Json["tmp"]!.GetValue<string>());
    }

    [Fact]
    public async Task Invoke_RuntimeExits_RuntimeExitError()
    {
        using var client = await CreateAsync("inv-exit");
        var response = await InvokeAsync(client, "inv-exit", new { action = "exit", code = 3 });
        Assert.Equal("Unhandled", response.Headers["X-Amz-Function-Error"]);
        Assert.Equal("Runtime.ExitError", response.Json["errorType"]!.GetValue<string>());
        Assert.Matches(@"^RequestId: [0-9a-f-]{36} Error: Runtime exited with error: exit status 3$", response.Json["errorMessage"]!.GetValue<string>());
        Assert.Equal(200, (await InvokeAsync(client, "inv-exit", new { action = "echo" })).Status);
    }

    [Fact]
    public async Task Invoke_OutOfMemory_KilledAtMemoryLimit()
    {
        using var client = await CreateAsync("inv-oom", memory: 128);
        var response = await InvokeAsync(client, "inv-oom", new { action = "allocate" }, tail: true);
        Assert.Equal("Unhandled", response.Headers["X-Amz-Function-Error"]);
        Assert.Equal("Runtime.OutOfMemory", response.Json["errorType"]!.GetValue<string>());
        Assert.EndsWith("Error: Runtime exited with error: signal: killed", response.Json["errorMessage"]!.GetValue<string>(), StringComparison.Ordinal);
        var log = Encoding.UTF8.GetString(Convert.FromBase64String(response.Headers["X-Amz-Log-Result"]));
        Assert.Contains("Max Memory Used: 128 MB", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_Environment_ReservedAndCustomerVariablesAndHeaders()
    {
        using var client = await CreateAsync("inv-env", env: new Dictionary<string, string> { ["MY_SETTING"] = "hello", ["LANG"] = "C.UTF-8" });
        var clientContext = Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"custom\":{\"k\":\"v\"}}"));
        var response = await client.SendAsync(HttpMethod.Post, "/2015-03-31/functions/inv-env/invocations", new { action = "env" },
            headers: new Dictionary<string, string> { ["X-Amz-Client-Context"] = clientContext });
        var vars = response.Json["vars"]!.AsObject();
        string Var(string name) => vars[name]!.GetValue<string>();
        Assert.Equal("hello", Var("MY_SETTING"));
        Assert.Equal("C.UTF-8", Var("LANG"));
        Assert.Equal("inv-env", Var("AWS_LAMBDA_FUNCTION_NAME"));
        Assert.Equal("$LATEST", Var("AWS_LAMBDA_FUNCTION_VERSION"));
        Assert.Equal("1769", Var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"));
        Assert.Equal("/aws/lambda/inv-env", Var("AWS_LAMBDA_LOG_GROUP_NAME"));
        Assert.Matches(@"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$", Var("AWS_LAMBDA_LOG_STREAM_NAME"));
        Assert.Equal("on-demand", Var("AWS_LAMBDA_INITIALIZATION_TYPE"));
        Assert.Equal("us-east-1", Var("AWS_REGION"));
        Assert.Equal("us-east-1", Var("AWS_DEFAULT_REGION"));
        Assert.Equal(":UTC", Var("TZ"));
        Assert.Equal("/var/task", Var("LAMBDA_TASK_ROOT"));
        Assert.Equal("/var/runtime", Var("LAMBDA_RUNTIME_DIR"));
        Assert.Equal("unused", Var("_HANDLER"));
        Assert.StartsWith("ASIA", Var("AWS_ACCESS_KEY_ID"), StringComparison.Ordinal);
        Assert.NotEmpty(Var("AWS_SECRET_ACCESS_KEY"));
        Assert.NotEmpty(Var("AWS_SESSION_TOKEN"));
        // Each environment has its own network namespace; its gateway serves the Runtime API and Lamina's API.
        Assert.Matches(@"^10\.\d+\.\d+\.\d+:\d+$", Var("AWS_LAMBDA_RUNTIME_API"));
        Assert.Equal("http://" + Var("AWS_LAMBDA_RUNTIME_API"), Var("AWS_ENDPOINT_URL"));
        Assert.Equal(Var("AWS_ENDPOINT_URL"), Var("AWS_ENDPOINT_URL_LAMBDA"));
        Assert.False(vars.ContainsKey("AWS_EXECUTION_ENV"));

        var headers = response.Json["headers"]!.AsObject();
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:function:inv-env", headers["lambda-runtime-invoked-function-arn"]!.GetValue<string>());
        Assert.Matches(@"^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$", headers["lambda-runtime-trace-id"]!.GetValue<string>());
        Assert.Equal("{\"custom\":{\"k\":\"v\"}}", headers["lambda-runtime-client-context"]!.GetValue<string>());
        var deadline = long.Parse(headers["lambda-runtime-deadline-ms"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(deadline - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 1000, 10_500);
    }

    [Fact]
    public async Task Invoke_TwentyInParallel_TwentyEnvironments()
    {
        using var client = await CreateAsync("inv-parallel", memory: 512);
        var calls = Enumerable.Range(0, 20).Select(_ => InvokeAsync(client, "inv-parallel", new { action = "sleep", seconds = 1.5 }));
        var responses = await Task.WhenAll(calls);
        Assert.All(responses, r => Assert.Equal(200, r.Status));
        Assert.Equal(20, responses.Select(r => r.Json["env"]!.GetValue<string>()).Distinct().Count());
    }

    [Fact]
    public async Task Invoke_ReservedConcurrency_ThrottlesWith429AndReason()
    {
        using var client = await CreateAsync("inv-reserved");
        Assert.Equal(200, (await client.PutAsync("/2017-10-31/functions/inv-reserved/concurrency", new { ReservedConcurrentExecutions = 0 })).Status);
        var throttled = await InvokeAsync(client, "inv-reserved", new { action = "echo" });
        Assert.Equal(429, throttled.Status);
        Assert.Equal("TooManyRequestsException", throttled.ErrorType);
        Assert.Equal("ReservedFunctionConcurrentInvocationLimitExceeded", throttled.Json["Reason"]!.GetValue<string>());

        Assert.Equal(200, (await client.PutAsync("/2017-10-31/functions/inv-reserved/concurrency", new { ReservedConcurrentExecutions = 1 })).Status);
        var slow = InvokeAsync(client, "inv-reserved", new { action = "sleep", seconds = 3 });
        await Task.Delay(1500);
        var second = await InvokeAsync(client, "inv-reserved", new { action = "echo" });
        Assert.Equal(429, second.Status);
        Assert.Equal(200, (await slow).Status);
        Assert.Equal(200, (await InvokeAsync(client, "inv-reserved", new { action = "echo" })).Status);
    }

    [Fact]
    public async Task Invoke_InitError_ReturnsRuntimeInitErrorBody()
    {
        using var client = await CreateAsync("inv-initfail", env: new Dictionary<string, string> { ["INIT_FAIL"] = "1" });
        var response = await InvokeAsync(client, "inv-initfail", new { action = "echo" });
        Assert.Equal(200, response.Status);
        Assert.Equal("Unhandled", response.Headers["X-Amz-Function-Error"]);
        Assert.Equal("Runtime.TestInitError", response.Json["errorType"]!.GetValue<string>());
    }

    [Fact]
    public async Task Invoke_WeightedAlias_RoutesToBothVersions()
    {
        using var client = await CreateAsync("inv-alias");
        var v1 = await client.PostAsync("/2015-03-31/functions/inv-alias/versions", new { });
        Assert.True(v1.Status == 201, v1.ToString());
        var update = await client.PutAsync("/2015-03-31/functions/inv-alias/configuration", new { Timeout = 11 });
        Assert.True(update.Status == 200, update.ToString());
        var v2 = await client.PostAsync("/2015-03-31/functions/inv-alias/versions", new { });
        Assert.True(v2.Status == 201, v2.ToString());
        Assert.Equal("2", v2.Json["Version"]!.GetValue<string>());
        var alias = await client.PostAsync("/2015-03-31/functions/inv-alias/aliases", new
        {
            Name = "live",
            FunctionVersion = "1",
            RoutingConfig = new { AdditionalVersionWeights = new Dictionary<string, double> { ["2"] = 0.5 } },
        });
        Assert.Equal(201, alias.Status);
        var versions = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            var response = await InvokeAsync(client, "inv-alias", new { action = "echo" }, qualifier: "live");
            versions.Add(response.Headers["X-Amz-Executed-Version"]);
        }

        Assert.Contains("1", versions);
        Assert.Contains("2", versions);
        Assert.DoesNotContain("$LATEST", versions);
    }

    [Fact]
    public async Task Invoke_DryRun_204WithoutRunning()
    {
        using var client = await CreateAsync("inv-dry");
        var response = await client.SendAsync(HttpMethod.Post, "/2015-03-31/functions/inv-dry/invocations", new { },
            headers: new Dictionary<string, string> { ["X-Amz-Invocation-Type"] = "DryRun" });
        Assert.Equal(204, response.Status);
    }

    [Fact]
    public async Task Invoke_BadInput_AwsErrors()
    {
        using var client = await CreateAsync("inv-bad");
        var notJson = await client.SendAsync(HttpMethod.Post, "/2015-03-31/functions/inv-bad/invocations", rawBody: "not json"u8.ToArray());
        Assert.Equal(400, notJson.Status);
        Assert.Equal("InvalidRequestContentException", notJson.ErrorType);
        Assert.StartsWith("Could not parse request body into json", notJson.Json["message"]!.GetValue<string>(), StringComparison.Ordinal);

        var tooLarge = await client.SendAsync(HttpMethod.Post, "/2015-03-31/functions/inv-bad/invocations",
            rawBody: Encoding.UTF8.GetBytes("\"" + new string('x', 6_291_456) + "\""));
        Assert.Equal(413, tooLarge.Status);
        Assert.Equal("RequestEntityTooLargeException", tooLarge.ErrorType);
        Assert.Equal("Request must be smaller than 6291456 bytes for the InvokeFunction operation", tooLarge.Json["Message"]!.GetValue<string>());

        var missing = await InvokeAsync(client, "inv-missing", new { });
        Assert.Equal(404, missing.Status);

        var badType = await client.SendAsync(HttpMethod.Post, "/2015-03-31/functions/inv-bad/invocations", new { },
            headers: new Dictionary<string, string> { ["X-Amz-Invocation-Type"] = "Sometimes" });
        Assert.Equal(400, badType.Status);
        Assert.Equal("ValidationException", badType.ErrorType);
    }

    [Fact]
    public async Task Invoke_ResponseOverSixMegabytes_FunctionResponseSizeTooLarge()
    {
        using var client = await CreateAsync("inv-big");
        var response = await InvokeAsync(client, "inv-big", new { action = "big", size = 6_300_000 });
        Assert.Equal("Unhandled", response.Headers["X-Amz-Function-Error"]);
        Assert.Equal("Function.ResponseSizeTooLarge", response.Json["errorType"]!.GetValue<string>());
        Assert.Equal("Response payload size exceeded maximum allowed payload size (6291556 bytes).", response.Json["errorMessage"]!.GetValue<string>());
    }

    [Fact]
    public async Task Invoke_FunctionOutput_StoredInItsLogGroup()
    {
        using var client = await CreateAsync("inv-logs");
        var marker = Guid.NewGuid().ToString("N");
        await InvokeAsync(client, "inv-logs", new { action = "print", lines = new[] { $"hello {marker}" } });
        var store = (Lamina.Core.Storage.IStore)fixture.Server.Services.GetService(typeof(Lamina.Core.Storage.IStore))!;
        IReadOnlyList<(long, Lamina.Core.Logs.LogEvent Event)> events = [];
        for (var i = 0; i < 50 && !events.Any(e => e.Event.Message.Contains(marker, StringComparison.Ordinal)); i++)
        {
            await Task.Delay(100);
            events = await store.Logs.ReadAsync("000000000000", "/aws/lambda/inv-logs", null, 0, 1000, CancellationToken.None);
        }

        var messages = events.Select(e => e.Event.Message).ToList();
        Assert.Contains($"hello {marker}", messages);
        Assert.Contains(messages, m => m.StartsWith("INIT_START Runtime Version: provided:al2023.v1", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("REPORT RequestId:", StringComparison.Ordinal));
        Assert.Single(events.Select(e => e.Event.LogStream).Distinct());
    }
}
