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

    private static List<JsonNode> OfType(List<JsonNode> events, string type) => events.Where(e => e["EventType"]!.GetValue<string>() == type).ToList();

    /// <summary>The callback id of the execution's first CallbackStarted event, once there is one.</summary>
    private async Task<string> CallbackIdAsync(string arn)
    {
        for (var i = 0; i < 150; i++)
        {
            if (OfType(await fixture.HistoryAsync(arn), "CallbackStarted").FirstOrDefault() is { } started)
            {
                return started["CallbackStartedDetails"]!["CallbackId"]!.GetValue<string>();
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("no CallbackStarted event");
    }

    [Fact]
    public async Task Retries_WithBackoff_ThenSucceed()
    {
        var function = await fixture.FunctionAsync("retries");
        var (response, arn) = await InvokeAsync(function, new { });
        Assert.Equal(3, response.Json["attempts"]!.GetValue<int>());
        var history = await fixture.HistoryAsync(arn);
        var failed = OfType(history, "StepFailed");
        Assert.Equal(2, failed.Count);
        Assert.Equal([1, 2], failed.Select(e => e["StepFailedDetails"]!["RetryDetails"]!["CurrentAttempt"]!.GetValue<int>()));
        Assert.All(failed, e => Assert.Equal(1, e["StepFailedDetails"]!["RetryDetails"]!["NextAttemptDelaySeconds"]!.GetValue<int>()));
        Assert.Equal("flaky failure 1", failed[0]["StepFailedDetails"]!["Error"]!["Payload"]!["ErrorMessage"]!.GetValue<string>());
        Assert.Equal(3, OfType(history, "StepSucceeded").Single()["StepSucceededDetails"]!["RetryDetails"]!["CurrentAttempt"]!.GetValue<int>());
        Assert.Equal(3, (await fixture.LogLinesAsync(function, "RUN flaky")).Count);
    }

    [Fact]
    public async Task RetriesExhausted_ErrorCaughtByHandler()
    {
        var function = await fixture.FunctionAsync("exhausted");
        var (response, arn) = await InvokeAsync(function, new { });
        Assert.True(response.Json["caught"]!.GetValue<bool>(), response.Text);
        Assert.Contains("always fails", response.Json["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var history = await fixture.HistoryAsync(arn);
        Assert.Equal(2, OfType(history, "StepFailed").Count);
        Assert.Equal("SUCCEEDED", (await fixture.ExecutionAsync(arn))["Status"]!.GetValue<string>());
    }

    [Fact]
    public async Task UncaughtError_FailsTheExecution_NoInvocationRetry()
    {
        var function = await fixture.FunctionAsync("uncaught");
        var (response, arn) = await InvokeAsync(function, new { n = 7 });
        Assert.Equal("Unhandled", response.Headers["X-Amz-Function-Error"]);
        Assert.Equal("TypeError", response.Json["errorType"]!.GetValue<string>());
        Assert.Equal("bad input 7", response.Json["errorMessage"]!.GetValue<string>());
        var execution = await fixture.ExecutionAsync(arn);
        Assert.Equal("FAILED", execution["Status"]!.GetValue<string>());
        Assert.Equal("TypeError", execution["Error"]!["ErrorType"]!.GetValue<string>());
        var history = await fixture.HistoryAsync(arn);
        Assert.Single(OfType(history, "InvocationCompleted"));
        Assert.Equal("ExecutionFailed", history[^1]["EventType"]!.GetValue<string>());
    }

    [Fact]
    public async Task Callback_CompletedWithTheAwsCli()
    {
        var function = await fixture.FunctionAsync("callback");
        var (_, arn) = await InvokeAsync(function, new { }, async: true);
        var callbackId = await CallbackIdAsync(arn);
        var cli = new AwsCli(fixture);
        await cli.JsonAsync("lambda", "send-durable-execution-callback-success", "--callback-id", callbackId,
            "--result", "{\"approved\":true}");
        var execution = await fixture.ClosedAsync(arn);
        Assert.Equal("SUCCEEDED", execution["Status"]!.GetValue<string>());
        var result = JsonNode.Parse(execution["Result"]!.GetValue<string>())!;
        Assert.Equal("completed", result["outcome"]!.GetValue<string>());
        Assert.Equal("{\"approved\":true}", result["value"]!.GetValue<string>());
        Assert.Single(OfType(await fixture.HistoryAsync(arn), "CallbackSucceeded"));

        // A closed callback refuses another completion.
        var again = await cli.ErrorAsync("lambda", "send-durable-execution-callback-success", "--callback-id", callbackId,
            "--result", "{}");
        Assert.Equal("CallbackTimeoutException", again.Code);
    }

    [Fact]
    public async Task Callback_FailedWithTheAwsCli()
    {
        var function = await fixture.FunctionAsync("callback", name: "durable-callback-fail");
        var (_, arn) = await InvokeAsync(function, new { }, async: true);
        var callbackId = await CallbackIdAsync(arn);
        await new AwsCli(fixture).JsonAsync("lambda", "send-durable-execution-callback-failure", "--callback-id", callbackId,
            "--error", "ErrorType=Rejected,ErrorMessage=no thanks");
        var execution = await fixture.ClosedAsync(arn);
        var result = JsonNode.Parse(execution["Result"]!.GetValue<string>())!;
        Assert.Equal("error", result["outcome"]!.GetValue<string>());
        Assert.Contains("no thanks", result["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Single(OfType(await fixture.HistoryAsync(arn), "CallbackFailed"));
    }

    [Fact]
    public async Task Callback_TimesOut_AndHeartbeatsKeepItAlive()
    {
        var function = await fixture.FunctionAsync("callback", name: "durable-callback-timeout");
        var (_, timedOut) = await InvokeAsync(function, new { timeoutSeconds = 2 }, async: true);
        var execution = await fixture.ClosedAsync(timedOut);
        var result = JsonNode.Parse(execution["Result"]!.GetValue<string>())!;
        Assert.Equal("error", result["outcome"]!.GetValue<string>());
        var event_ = OfType(await fixture.HistoryAsync(timedOut), "CallbackTimedOut").Single();
        Assert.Equal("Callback.Timeout", event_["CallbackTimedOutDetails"]!["Error"]!["Payload"]!["ErrorType"]!.GetValue<string>());

        // Heartbeat timeout 6 s: a heartbeat each second for 10 s keeps it open, then success completes it. The
        // first heartbeat goes through the AWS CLI; the rest are signed HTTP calls, because a CLI process can
        // take seconds to start on a loaded machine and the gaps must stay under the timeout.
        var (_, alive) = await InvokeAsync(function, new { heartbeatSeconds = 6 }, async: true);
        var callbackId = await CallbackIdAsync(alive);
        var cli = new AwsCli(fixture);
        await cli.JsonAsync("lambda", "send-durable-execution-callback-heartbeat", "--callback-id", callbackId);
        using (var client = fixture.Client())
        {
            var kept = System.Diagnostics.Stopwatch.StartNew();
            while (kept.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(1000);
                var beat = await client.PostAsync($"/2025-12-01/durable-execution-callbacks/{Uri.EscapeDataString(callbackId)}/heartbeat", new { });
                Assert.True(beat.Status == 200, beat.ToString());
            }
        }

        Assert.Equal("RUNNING", (await fixture.ExecutionAsync(alive))["Status"]!.GetValue<string>());
        await cli.JsonAsync("lambda", "send-durable-execution-callback-success", "--callback-id", callbackId,
            "--result", "\"late but alive\"");
        var done = JsonNode.Parse((await fixture.ClosedAsync(alive))["Result"]!.GetValue<string>())!;
        Assert.Equal("completed", done["outcome"]!.GetValue<string>());

        // Without heartbeats the same callback times out on its heartbeat.
        var (_, silent) = await InvokeAsync(function, new { heartbeatSeconds = 1 }, async: true);
        await fixture.ClosedAsync(silent);
        var lapse = OfType(await fixture.HistoryAsync(silent), "CallbackTimedOut").Single();
        Assert.Equal("Callback.Heartbeat", lapse["CallbackTimedOutDetails"]!["Error"]!["Payload"]!["ErrorType"]!.GetValue<string>());
    }

    [Fact]
    public async Task WaitForCallback_SubmitterStepThenExternalResult()
    {
        var function = await fixture.FunctionAsync("waitForCallback");
        var (_, arn) = await InvokeAsync(function, new { }, async: true);
        var callbackId = await CallbackIdAsync(arn);
        await new AwsCli(fixture).JsonAsync("lambda", "send-durable-execution-callback-success", "--callback-id", callbackId,
            "--result", "plain text");
        var execution = await fixture.ClosedAsync(arn);
        Assert.Equal("plain text", JsonNode.Parse(execution["Result"]!.GetValue<string>())!["value"]!.GetValue<string>());
        var history = await fixture.HistoryAsync(arn);
        var context = OfType(history, "ContextStarted").Single();
        Assert.Equal("WaitForCallback", context["SubType"]!.GetValue<string>());
        Assert.Equal(context["Id"]!.GetValue<string>(), OfType(history, "CallbackStarted").Single()["ParentId"]!.GetValue<string>());
    }

    [Fact]
    public async Task ChainedInvoke_OfAnOrdinaryFunction()
    {
        var target = await fixture.FunctionAsync("double");
        var function = await fixture.FunctionAsync("chained");
        var (response, arn) = await InvokeAsync(function, new { target, n = 21 });
        Assert.Equal(42, response.Json["doubled"]!["value"]!.GetValue<int>());
        var history = await fixture.HistoryAsync(arn);
        var started = OfType(history, "ChainedInvokeStarted").Single();
        Assert.Equal(target, started["ChainedInvokeStartedDetails"]!["FunctionName"]!.GetValue<string>());
        Assert.Single(OfType(history, "ChainedInvokeSucceeded"));
    }

    [Fact]
    public async Task ChildContextWithLargeResult_ParallelAndMap()
    {
        var function = await fixture.FunctionAsync("fanout");
        var (response, arn) = await InvokeAsync(function, new { });
        Assert.Equal(300_000, response.Json["bigLength"]!.GetValue<int>());
        Assert.Equal([1, 2], response.Json["parallel"]!.AsArray().Select(n => n!.GetValue<int>()));
        Assert.Equal([1, 4, 9, 16], response.Json["mapped"]!.AsArray().Select(n => n!.GetValue<int>()));
        var history = await fixture.HistoryAsync(arn);
        var contexts = OfType(history, "ContextSucceeded");
        Assert.Contains(contexts, e => e["Name"]?.GetValue<string>() == "big");
        Assert.Contains(contexts, e => e["SubType"]?.GetValue<string>() == "Parallel");
        Assert.Contains(contexts, e => e["SubType"]?.GetValue<string>() == "Map");
    }

    [Fact]
    public async Task WaitForCondition_PollsUntilDone()
    {
        var function = await fixture.FunctionAsync("condition");
        var (response, arn) = await InvokeAsync(function, new { });
        Assert.Equal(3, response.Json["count"]!.GetValue<int>());
        var history = await fixture.HistoryAsync(arn);
        Assert.Equal(3, OfType(history, "StepSucceeded").Count(e => e["SubType"]?.GetValue<string>() == "WaitForCondition"));
    }

    [Fact]
    public async Task AtMostOnceStep_InterruptedByACrash_NeverRunsAgain()
    {
        var function = await fixture.FunctionAsync("atMostOnce");
        var (response, arn) = await InvokeAsync(function, new { crash = true });
        Assert.True(response.Json["interrupted"]!.GetValue<bool>(), response.Text);
        Assert.Equal("StepInterruptedError", response.Json["cause"]!.GetValue<string>());
        Assert.Single(await fixture.LogLinesAsync(function, "RUN charge"));
        var history = await fixture.HistoryAsync(arn);
        Assert.Contains(OfType(history, "InvocationCompleted"), e => e["InvocationCompletedDetails"]!["Error"] is not null);
    }

    [Fact]
    public async Task ExecutionTimeout_TimesOut()
    {
        var function = await fixture.FunctionAsync("slow", executionTimeout: 2, name: "durable-slow-timeout");
        var (response, arn) = await InvokeAsync(function, new { seconds = 30 });
        Assert.Equal("Unhandled", response.Headers["X-Amz-Function-Error"]);
        var execution = await fixture.ExecutionAsync(arn);
        Assert.Equal("TIMED_OUT", execution["Status"]!.GetValue<string>());
        Assert.Equal("ExecutionTimedOut", (await fixture.HistoryAsync(arn))[^1]["EventType"]!.GetValue<string>());
    }

    [Fact]
    public async Task Stop_ClosesARunningExecution()
    {
        var function = await fixture.FunctionAsync("slow");
        var (_, arn) = await InvokeAsync(function, new { seconds = 120 }, async: true);
        using var client = fixture.Client();
        var stopped = await client.PostAsync($"/2025-12-01/durable-executions/{DurableFixture.Escape(arn)}/stop",
            new { ErrorType = "Operator", ErrorMessage = "stopped by test" });
        Assert.True(stopped.Status == 200, stopped.ToString());
        Assert.True(stopped.Json["StopTimestamp"]!.GetValue<double>() > 1.7e9);
        var execution = await fixture.ExecutionAsync(arn);
        Assert.Equal("STOPPED", execution["Status"]!.GetValue<string>());
        var last = (await fixture.HistoryAsync(arn))[^1];
        Assert.Equal("ExecutionStopped", last["EventType"]!.GetValue<string>());
        Assert.Equal("stopped by test", last["ExecutionStoppedDetails"]!["Error"]!["Payload"]!["ErrorMessage"]!.GetValue<string>());

        // Stopping again answers the same time; stopping a finished one is refused.
        var again = await client.PostAsync($"/2025-12-01/durable-executions/{DurableFixture.Escape(arn)}/stop", null);
        Assert.Equal(stopped.Json["StopTimestamp"]!.GetValue<double>(), again.Json["StopTimestamp"]!.GetValue<double>());
    }

    [Fact]
    public async Task Names_AreIdempotent_AndInvokeMustBeQualified()
    {
        var function = await fixture.FunctionAsync("slow", name: "durable-slow-names");
        var (_, first) = await InvokeAsync(function, new { seconds = 60 }, name: "order-42", async: true);
        var (_, second) = await InvokeAsync(function, new { seconds = 60 }, name: "order-42", async: true);
        Assert.Equal(first, second);
        Assert.Contains("/durable-execution/order-42/", first, StringComparison.Ordinal);

        using var client = fixture.Client();
        var conflict = await client.SendAsync(HttpMethod.Post, $"/2015-03-31/functions/{function}/invocations?Qualifier=%24LATEST", new { seconds = 61 },
            headers: new Dictionary<string, string> { ["X-Amz-Durable-Execution-Name"] = "order-42", ["X-Amz-Invocation-Type"] = "Event" });
        Assert.Equal(409, conflict.Status);
        Assert.Equal("DurableExecutionAlreadyStartedException", conflict.ErrorType);

        var unqualified = await client.SendAsync(HttpMethod.Post, $"/2015-03-31/functions/{function}/invocations", new { seconds = 1 });
        Assert.Equal(400, unqualified.Status);
        Assert.Equal("InvalidParameterValueException", unqualified.ErrorType);
        Assert.Contains("qualified", unqualified.Text, StringComparison.Ordinal);

        var list = await client.GetAsync($"/2025-12-01/functions/{function}/durable-executions?Qualifier=%24LATEST&DurableExecutionName=order-42&Statuses=RUNNING");
        Assert.True(list.Status == 200, list.ToString());
        Assert.Equal(first, list.Json["DurableExecutions"]!.AsArray().Single()!["DurableExecutionArn"]!.GetValue<string>());
        var none = await client.GetAsync($"/2025-12-01/functions/{function}/durable-executions?Qualifier=%24LATEST&Statuses=SUCCEEDED");
        Assert.Empty(none.Json["DurableExecutions"]!.AsArray());
        await client.PostAsync($"/2025-12-01/durable-executions/{DurableFixture.Escape(first)}/stop", null);
    }

    [Fact]
    public async Task StaleAndForeignTokens_AreRefusedWithTheRetryableError()
    {
        var function = await fixture.FunctionAsync("callback", name: "durable-callback-tokens");
        var (_, arn) = await InvokeAsync(function, new { }, async: true);
        await CallbackIdAsync(arn);
        using var client = fixture.Client();
        var checkpoint = await client.PostAsync($"/2025-12-01/durable-executions/{DurableFixture.Escape(arn)}/checkpoint",
            new { CheckpointToken = "c3RhbGV0b2tlbg==", Updates = Array.Empty<object>() });
        Assert.Equal(400, checkpoint.Status);
        Assert.Equal("InvalidParameterValueException", checkpoint.ErrorType);
        Assert.StartsWith("Invalid Checkpoint Token", checkpoint.Json["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var state = await client.GetAsync($"/2025-12-01/durable-executions/{DurableFixture.Escape(arn)}/state?CheckpointToken=c3RhbGV0b2tlbg%3D%3D");
        Assert.Equal(400, state.Status);
        await client.PostAsync($"/2025-12-01/durable-executions/{DurableFixture.Escape(arn)}/stop", null);
    }
}
