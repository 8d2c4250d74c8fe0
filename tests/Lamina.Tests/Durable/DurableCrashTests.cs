using System.Text;
using System.Text.Json.Nodes;
using Lamina.Tests.Support;

namespace Lamina.Tests.Durable;

/// <summary>
/// kill -9 of the real server while durable executions wait and while they run steps: after restarts
/// every execution finishes with the right result, an interrupted step runs again (at least once), and
/// a step whose completion was checkpointed never runs again. Step runs are witnessed by a sink outside
/// Lamina (<see cref="SinkNamespace"/>).
/// </summary>
public sealed class DurableCrashTests(ITestOutputHelper output)
{
    private const int Executions = 6;

    [Fact]
    public async Task KillNineDuringWaitsAndSteps_ExecutionsResume_CompletedStepsNeverRunAgain()
    {
        var dir = TempDirs.Create("lamina-durable-crash");
        await using var sink = await SinkNamespace.StartAsync(dir, 1);
        await using var server = new LaminaProcess(Path.Combine(dir, "data"));
        try
        {
            await server.StartAsync();
            await CreateRoleAsync(server);
            using (var client = server.Client())
            {
                var created = await client.PostAsync("/2015-03-31/functions", new
                {
                    FunctionName = "crashy",
                    Runtime = "nodejs20.x",
                    Role = "arn:aws:iam::000000000000:role/durable-role",
                    Handler = "index.crashy",
                    Code = new { ZipFile = Convert.ToBase64String(DurableFixture.BuildZip()) },
                    MemorySize = 256,
                    Timeout = 30,
                    DurableConfig = new { ExecutionTimeout = 600, RetentionPeriodInDays = 1 },
                });
                Assert.True(created.Status == 201, created.ToString());
            }

            var arns = new List<string>();
            for (var i = 0; i < Executions; i++)
            {
                using var client = server.Client();
                var started = await client.SendAsync(HttpMethod.Post, "/2015-03-31/functions/crashy/invocations?Qualifier=%24LATEST",
                    new { id = i, sink = sink.Url, waitSeconds = 3, stepSeconds = 3 },
                    headers: new Dictionary<string, string> { ["X-Amz-Invocation-Type"] = "Event" });
                Assert.True(started.Status == 202, started.ToString());
                arns.Add(started.Headers["X-Amz-Durable-Execution-Arn"]);
            }

            // Kill 1: while the executions wait (every "before" step has reported).
            await UntilAsync(() => sink.Received().Count(e => e.GetProperty("step").GetString() == "before") >= Executions, 60);
            await Task.Delay(500);
            await server.KillAsync();
            output.WriteLine($"kill 1 during waits: {sink.Received().Count} step runs so far");
            await server.StartAsync();

            // Kill 2: while slow steps run (one has started and not ended).
            await UntilAsync(() => sink.Received().Any(e => e.GetProperty("step").GetString() == "slow-step"), 60);
            await server.KillAsync();
            output.WriteLine($"kill 2 during steps: {sink.Received().Count} step runs so far");
            await server.StartAsync();

            foreach (var arn in arns)
            {
                var execution = await ClosedAsync(server, arn);
                Assert.True(execution["Status"]!.GetValue<string>() == "SUCCEEDED", execution.ToJsonString());
                Assert.Equal(6, JsonNode.Parse(execution["Result"]!.GetValue<string>())!["sum"]!.GetValue<int>());
            }

            var runs = sink.Received();
            var rerunSlowSteps = 0;
            for (var i = 0; i < Executions; i++)
            {
                var history = await HistoryAsync(server, arns[i]);
                foreach (var step in new[] { "before", "slow-step", "after" })
                {
                    var succeeded = history.Single(e => e["EventType"]!.GetValue<string>() == "StepSucceeded" && e["Name"]!.GetValue<string>() == step);
                    var succeededAtMs = (long)(succeeded["EventTimestamp"]!.GetValue<double>() * 1000);
                    var starts = runs.Where(r => r.GetProperty("execution").GetInt32() == i && r.GetProperty("step").GetString() == step &&
                                                 r.GetProperty("phase").GetString() == "start").Select(r => r.GetProperty("t").GetInt64()).ToList();
                    Assert.NotEmpty(starts);
                    Assert.True(starts.All(t => t <= succeededAtMs), $"execution {i} ran {step} again after its completion was checkpointed");
                    if (step == "slow-step" && starts.Count > 1)
                    {
                        rerunSlowSteps++;
                    }
                }
            }

            output.WriteLine($"{runs.Count} step runs; {rerunSlowSteps} slow steps interrupted and run again; {server.Starts} server starts");
            Assert.True(rerunSlowSteps >= 1, "the second kill landed inside a slow step, which must run again");
        }
        finally
        {
            await server.KillAsync();
            TempDirs.Delete(dir);
        }
    }

    private static async Task UntilAsync(Func<bool> condition, int seconds)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the sink");
            await Task.Delay(100);
        }
    }

    private static async Task CreateRoleAsync(LaminaProcess server)
    {
        using var iam = server.Client("iam");
        foreach (var form in new[]
                 {
                     "Action=CreateRole&Version=2010-05-08&RoleName=durable-role&AssumeRolePolicyDocument=" + Uri.EscapeDataString(TestRoles.LambdaTrust),
                     "Action=AttachRolePolicy&Version=2010-05-08&RoleName=durable-role&PolicyArn=" +
                     Uri.EscapeDataString("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicDurableExecutionRolePolicy"),
                 })
        {
            var response = await iam.SendAsync(HttpMethod.Post, "/", rawBody: Encoding.UTF8.GetBytes(form), contentType: "application/x-www-form-urlencoded");
            Assert.True(response.Status == 200, response.ToString());
        }
    }

    private static async Task<JsonNode> ClosedAsync(LaminaProcess server, string arn)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            using var client = server.Client();
            var response = await client.GetAsync($"/2025-12-01/durable-executions/{Uri.EscapeDataString(arn)}");
            Assert.True(response.Status == 200, response.ToString());
            if (response.Json["Status"]!.GetValue<string>() != "RUNNING" || DateTime.UtcNow > deadline)
            {
                return response.Json;
            }

            await Task.Delay(250);
        }
    }

    private static async Task<List<JsonNode>> HistoryAsync(LaminaProcess server, string arn)
    {
        using var client = server.Client();
        var response = await client.GetAsync($"/2025-12-01/durable-executions/{Uri.EscapeDataString(arn)}/history?MaxItems=1000");
        Assert.True(response.Status == 200, response.ToString());
        return response.Json["Events"]!.AsArray().Select(e => e!).ToList();
    }
}
