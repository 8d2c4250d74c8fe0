using System.Text.Json.Nodes;
using Lamina.Core.Storage;
using Lamina.Tests.Support;

namespace Lamina.Tests.Async;

/// <summary>Asynchronous invocation with AWS's retry, age, destination and dead-letter rules, at time scale 60.</summary>
public sealed class AsyncInvokeTests(AsyncFixture fixture) : IClassFixture<AsyncFixture>
{
    private sealed record Seen(string RequestId, long AtMs, JsonNode Event);

    private async Task<AwsClient> CreateAsync(string name, int timeout = 10, object? deadLetter = null)
    {
        var client = fixture.Client();
        var request = System.Text.Json.JsonSerializer.SerializeToNode(TestRuntime.CreateRequest(name, memory: 512, timeout: timeout))!.AsObject();
        if (deadLetter is not null)
        {
            request["DeadLetterConfig"] = System.Text.Json.JsonSerializer.SerializeToNode(deadLetter);
        }

        var created = await client.PostAsync("/2015-03-31/functions", request.ToJsonString());
        Assert.True(created.Status == 201, created.ToString());
        return client;
    }

    /// <summary>Lets a function's role invoke other functions (AWS requires it for destinations).</summary>
    private async Task AllowRoleToInvokeAsync()
    {
        var iam = ((IStore)fixture.Server.Services.GetService(typeof(IStore))!).Iam;
        await iam.PutInlinePolicyAsync(new Lamina.Core.Iam.InlinePolicy("000000000000", Lamina.Core.Iam.IamPrincipalType.Role, TestRoles.LambdaRoleName,
            "invoke-destinations", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"*"}]}"""),
            CancellationToken.None);
        ((Lamina.Core.Iam.PolicyAuthorizer)fixture.Server.Services.GetService(typeof(Lamina.Core.Iam.PolicyAuthorizer))!).Invalidate();
    }

    private static Task<AwsResponse> InvokeEventAsync(AwsClient client, string name, object payload) =>
        client.SendAsync(HttpMethod.Post, $"/2015-03-31/functions/{name}/invocations", payload,
            headers: new Dictionary<string, string> { ["X-Amz-Invocation-Type"] = "Event" });

    /// <summary>The events a function received (its runtime prints one EVENT line per invocation), waiting until <paramref name="until"/>.</summary>
    private async Task<List<Seen>> EventsAsync(string function, Func<List<Seen>, bool> until, int timeoutSeconds = 30)
    {
        var store = (IStore)fixture.Server.Services.GetService(typeof(IStore))!;
        var seen = new List<Seen>();
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (DateTime.UtcNow < deadline)
        {
            var lines = await store.Logs.ReadAsync("000000000000", $"/aws/lambda/{function}", null, 0, 100_000, CancellationToken.None);
            seen = lines.Select(l => l.Event.Message).Where(m => m.StartsWith("EVENT ", StringComparison.Ordinal))
                .Select(m => m.Split(' ', 4))
                .Select(p => new Seen(p[1], long.Parse(p[2], System.Globalization.CultureInfo.InvariantCulture), JsonNode.Parse(p[3])!))
                .ToList();
            if (until(seen))
            {
                return seen;
            }

            await Task.Delay(200);
        }

        return seen;
    }

    [Fact]
    public async Task Event_Accepted202_ThenRunsWithItsRequestId()
    {
        using var client = await CreateAsync("async-basic");
        var response = await InvokeEventAsync(client, "async-basic", new { action = "echo", n = 1 });
        Assert.Equal(202, response.Status);
        Assert.Empty(response.Body);
        var requestId = response.Headers["x-amzn-RequestId"];
        var seen = await EventsAsync("async-basic", s => s.Count >= 1);
        Assert.Equal(requestId, Assert.Single(seen).RequestId);
        Assert.Equal(1, seen[0].Event["n"]!.GetValue<int>());
    }

    [Fact]
    public async Task Event_PayloadOverOneMegabyte_413()
    {
        using var client = await CreateAsync("async-large");
        var response = await client.SendAsync(HttpMethod.Post, "/2015-03-31/functions/async-large/invocations",
            rawBody: System.Text.Encoding.UTF8.GetBytes("\"" + new string('x', 1_048_600) + "\""),
            headers: new Dictionary<string, string> { ["X-Amz-Invocation-Type"] = "Event" });
        Assert.Equal(413, response.Status);
        Assert.Equal("RequestEntityTooLargeException", response.ErrorType);
    }

    [Fact]
    public async Task FunctionError_RetriedTwiceAfterOneThenTwoMinutes_ThenOnFailureGetsTheRecord()
    {
        await AllowRoleToInvokeAsync();
        using var client = await CreateAsync("async-sink");
        await CreateAsync("async-failing");
        var config = await client.PutAsync("/2019-09-25/functions/async-failing/event-invoke-config", new
        {
            DestinationConfig = new { OnFailure = new { Destination = "arn:aws:lambda:us-east-1:000000000000:function:async-sink" } },
        });
        Assert.True(config.Status == 200, config.ToString());
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:function:async-failing:$LATEST", config.Json["FunctionArn"]!.GetValue<string>());

        var accepted = await InvokeEventAsync(client, "async-failing", new { action = "error", order = 42 });
        var requestId = accepted.Headers["x-amzn-RequestId"];
        var attempts = await EventsAsync("async-failing", s => s.Count >= 3);
        Assert.Equal(3, attempts.Count);
        Assert.All(attempts, a => Assert.Equal(requestId, a.RequestId));
        // 1 and 2 minutes, divided by the time scale of 60: at least 1 s and 2 s apart.
        Assert.True(attempts[1].AtMs - attempts[0].AtMs >= 950, $"first retry after {attempts[1].AtMs - attempts[0].AtMs} ms");
        Assert.True(attempts[2].AtMs - attempts[1].AtMs >= 1950, $"second retry after {attempts[2].AtMs - attempts[1].AtMs} ms");

        var records = await EventsAsync("async-sink", s => s.Count >= 1);
        var record = Assert.Single(records).Event;
        Assert.Equal("1.0", record["version"]!.GetValue<string>());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", record["timestamp"]!.GetValue<string>());
        Assert.Equal(requestId, record["requestContext"]!["requestId"]!.GetValue<string>());
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:function:async-failing:$LATEST", record["requestContext"]!["functionArn"]!.GetValue<string>());
        Assert.Equal("RetriesExhausted", record["requestContext"]!["condition"]!.GetValue<string>());
        Assert.Equal(3, record["requestContext"]!["approximateInvokeCount"]!.GetValue<int>());
        Assert.Equal(42, record["requestPayload"]!["order"]!.GetValue<int>());
        Assert.Equal(200, record["responseContext"]!["statusCode"]!.GetValue<int>());
        Assert.Equal("$LATEST", record["responseContext"]!["executedVersion"]!.GetValue<string>());
        Assert.Equal("Unhandled", record["responseContext"]!["functionError"]!.GetValue<string>());
        Assert.Equal("TestError", record["responsePayload"]!["errorType"]!.GetValue<string>());
    }

    [Fact]
    public async Task Success_OnSuccessDestinationGetsRecord_RetriesZeroSkipsRetries()
    {
        await AllowRoleToInvokeAsync();
        using var client = await CreateAsync("async-ok-sink");
        await CreateAsync("async-ok");
        Assert.Equal(200, (await client.PutAsync("/2019-09-25/functions/async-ok/event-invoke-config", new
        {
            MaximumRetryAttempts = 0,
            DestinationConfig = new { OnSuccess = new { Destination = "arn:aws:lambda:us-east-1:000000000000:function:async-ok-sink" } },
        })).Status);
        var accepted = await InvokeEventAsync(client, "async-ok", new { action = "echo", value = "v" });
        var record = Assert.Single(await EventsAsync("async-ok-sink", s => s.Count >= 1)).Event;
        Assert.Equal("Success", record["requestContext"]!["condition"]!.GetValue<string>());
        Assert.Equal(1, record["requestContext"]!["approximateInvokeCount"]!.GetValue<int>());
        Assert.Equal(accepted.Headers["x-amzn-RequestId"], record["requestContext"]!["requestId"]!.GetValue<string>());
        Assert.Equal("v", record["responsePayload"]!["event"]!["value"]!.GetValue<string>());
        Assert.False(record["responseContext"]!.AsObject().ContainsKey("functionError"));
    }

    [Fact]
    public async Task DeadLetter_ReceivesOriginalEventAfterRetries()
    {
        await AllowRoleToInvokeAsync();
        using var client = await CreateAsync("async-dlq");
        await CreateAsync("async-dlq-source", deadLetter: new { TargetArn = "arn:aws:lambda:us-east-1:000000000000:function:async-dlq" });
        Assert.Equal(200, (await client.PutAsync("/2019-09-25/functions/async-dlq-source/event-invoke-config", new { MaximumRetryAttempts = 0 })).Status);
        await InvokeEventAsync(client, "async-dlq-source", new { action = "error", item = "lost-letter" });
        var letter = Assert.Single(await EventsAsync("async-dlq", s => s.Count >= 1)).Event;
        Assert.Equal("lost-letter", letter["item"]!.GetValue<string>());
        Assert.Equal("error", letter["action"]!.GetValue<string>());
    }

    [Fact]
    public async Task DeadLetter_SqsTarget_ClearError()
    {
        using var client = fixture.Client();
        var request = System.Text.Json.JsonSerializer.SerializeToNode(TestRuntime.CreateRequest("async-sqs-dlq"))!.AsObject();
        request["DeadLetterConfig"] = new JsonObject { ["TargetArn"] = "arn:aws:sqs:us-east-1:000000000000:queue" };
        var response = await client.PostAsync("/2015-03-31/functions", request.ToJsonString());
        Assert.Equal(400, response.Status);
        Assert.Equal("InvalidParameterValueException", response.ErrorType);
        Assert.Contains("Lambda functions only", response.Json["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Throttled_RetriedUntilCapacity_AndAgeLimitSendsEventAgeExceeded()
    {
        await AllowRoleToInvokeAsync();
        using var client = await CreateAsync("async-throttled", timeout: 30);
        await CreateAsync("async-age-sink");
        await CreateAsync("async-aged", timeout: 30);
        Assert.Equal(200, (await client.PutAsync("/2017-10-31/functions/async-throttled/concurrency", new { ReservedConcurrentExecutions = 1 })).Status);
        Assert.Equal(200, (await client.PutAsync("/2017-10-31/functions/async-aged/concurrency", new { ReservedConcurrentExecutions = 1 })).Status);
        Assert.Equal(200, (await client.PutAsync("/2019-09-25/functions/async-aged/event-invoke-config", new
        {
            MaximumEventAgeInSeconds = 60,
            DestinationConfig = new { OnFailure = new { Destination = "arn:aws:lambda:us-east-1:000000000000:function:async-age-sink" } },
        })).Status);

        // Occupy both functions' only slot for 5 s with synchronous calls.
        var busy1 = client.SendAsync(HttpMethod.Post, "/2015-03-31/functions/async-throttled/invocations", new { action = "sleep", seconds = 5 });
        var busy2 = client.SendAsync(HttpMethod.Post, "/2015-03-31/functions/async-aged/invocations", new { action = "sleep", seconds = 5 });
        await Task.Delay(1500);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(202, (await InvokeEventAsync(client, "async-throttled", new { action = "echo", i })).Status);
        }

        var aged = await InvokeEventAsync(client, "async-aged", new { action = "echo", late = true });
        await Task.WhenAll(busy1, busy2);

        // Throttled events are not failed: they drain once capacity returns.
        var drained = await EventsAsync("async-throttled", s => s.Count(e => e.Event["action"]?.GetValue<string>() == "echo") >= 3);
        Assert.Equal(3, drained.Count(e => e.Event["action"]?.GetValue<string>() == "echo"));

        // The aged event (60 s scaled to 1 s) expired while throttled.
        var record = Assert.Single(await EventsAsync("async-age-sink", s => s.Count >= 1)).Event;
        Assert.Equal("EventAgeExceeded", record["requestContext"]!["condition"]!.GetValue<string>());
        Assert.Equal(aged.Headers["x-amzn-RequestId"], record["requestContext"]!["requestId"]!.GetValue<string>());
        Assert.DoesNotContain(await EventsAsync("async-aged", s => false, timeoutSeconds: 1), e => e.Event["late"] is not null);
    }

    [Fact]
    public async Task Fairness_QuietFunctionNotStarvedByFloodedOne()
    {
        using var client = await CreateAsync("async-flood");
        await CreateAsync("async-quiet");
        Assert.Equal(200, (await client.PutAsync("/2017-10-31/functions/async-flood/concurrency", new { ReservedConcurrentExecutions = 2 })).Status);
        var floods = Enumerable.Range(0, 150).Select(i => InvokeEventAsync(client, "async-flood", new { action = "sleep", seconds = 0.2, i }));
        await Task.WhenAll(floods);
        var quiet = await InvokeEventAsync(client, "async-quiet", new { action = "echo" });
        Assert.Equal(202, quiet.Status);
        var quietRun = Assert.Single(await EventsAsync("async-quiet", s => s.Count >= 1, timeoutSeconds: 20));
        var floodDone = await EventsAsync("async-flood", s => true, timeoutSeconds: 1);
        // 150 events of 0.2 s at 2 at a time take about 15 s; the quiet one must not wait for them.
        Assert.True(floodDone.Count(f => f.AtMs <= quietRun.AtMs) < 75,
            $"the quiet function ran only after {floodDone.Count(f => f.AtMs <= quietRun.AtMs)} of the flooded function's events");
    }

    [Fact]
    public async Task EventInvokeConfig_CrudAndValidation()
    {
        using var client = await CreateAsync("async-config");
        Assert.Equal(404, (await client.GetAsync("/2019-09-25/functions/async-config/event-invoke-config")).Status);
        var empty = await client.PutAsync("/2019-09-25/functions/async-config/event-invoke-config", new { });
        Assert.Equal("InvalidParameterValueException", empty.ErrorType);
        var self = await client.PutAsync("/2019-09-25/functions/async-config/event-invoke-config", new
        {
            DestinationConfig = new { OnSuccess = new { Destination = "arn:aws:lambda:us-east-1:000000000000:function:async-config" } },
        });
        Assert.Equal("You can't specify the function as a destination for itself.", self.Json["message"]!.GetValue<string>());
        var badRetries = await client.PutAsync("/2019-09-25/functions/async-config/event-invoke-config", new { MaximumRetryAttempts = 3 });
        Assert.Equal("ValidationException", badRetries.ErrorType);

        Assert.Equal(200, (await client.PutAsync("/2019-09-25/functions/async-config/event-invoke-config", new { MaximumRetryAttempts = 1 })).Status);
        var updated = await client.PostAsync("/2019-09-25/functions/async-config/event-invoke-config", new { MaximumEventAgeInSeconds = 120 });
        Assert.Equal(1, updated.Json["MaximumRetryAttempts"]!.GetValue<int>());
        Assert.Equal(120, updated.Json["MaximumEventAgeInSeconds"]!.GetValue<int>());
        var list = await client.GetAsync("/2019-09-25/functions/async-config/event-invoke-config/list");
        Assert.Single(list.Json["FunctionEventInvokeConfigs"]!.AsArray());
        Assert.Equal(204, (await client.DeleteAsync("/2019-09-25/functions/async-config/event-invoke-config")).Status);
        Assert.Equal(404, (await client.GetAsync("/2019-09-25/functions/async-config/event-invoke-config")).Status);
    }
}
