using System.Diagnostics;
using Lamina.Core.Audit;
using Lamina.Hosting;
using Lamina.Tests.Support;

namespace Lamina.Tests.Audit;

/// <summary>
/// What recording costs a control-plane call: the same calls against a server with the audit trail on and one
/// with it off. Opt-in (LAMINA_AUDIT_BENCH=1): it measures, it does not assert. Results are in docs/audit.md.
/// </summary>
public sealed class AuditOverheadBenchmark(ITestOutputHelper output)
{
    [Fact]
    public async Task Measure_GetAndUpdate_SequentialAndConcurrent()
    {
        Assert.SkipUnless(Environment.GetEnvironmentVariable("LAMINA_AUDIT_BENCH") == "1", "set LAMINA_AUDIT_BENCH=1 to measure");
        foreach (var enabled in new[] { false, true, false, true })
        {
            var dir = TempDirs.Create("lamina-bench");
            try
            {
                await using var server = await LaminaServer.StartAsync(new ServeOptions
                {
                    DataDir = dir,
                    Listen = "http://127.0.0.1:0",
                    Region = "us-east-1",
                    Audit = new AuditOptions { Enabled = enabled },
                }, CancellationToken.None);
                await TestRoles.EnsureLambdaRoleAsync(server);
                using var client = new AwsClient(new Uri(server.Endpoint), server.RootCredentials.AccessKeyId, server.RootCredentials.SecretAccessKey, "us-east-1");
                Assert.Equal(201, (await client.PostAsync("/2015-03-31/functions", new
                {
                    FunctionName = "bench",
                    Runtime = "nodejs20.x",
                    Role = "arn:aws:iam::000000000000:role/lambda-role",
                    Handler = "index.handler",
                    Code = new { ZipFile = Convert.ToBase64String(Zips.NodeHandler()) },
                })).Status);
                var label = enabled ? "audit on " : "audit off";
                await RunAsync(label, "GetFunction, 1 client", 400, 1, () => client.GetAsync("/2015-03-31/functions/bench"));
                var n = 0;
                await RunAsync(label, "UpdateFunctionConfiguration, 1 client", 200, 1,
                    () => client.PutAsync("/2015-03-31/functions/bench/configuration", new { Description = $"d{Interlocked.Increment(ref n)}" }));
                await RunAsync(label, "GetFunction, 16 clients", 1600, 16, () => client.GetAsync("/2015-03-31/functions/bench"));
            }
            finally
            {
                TempDirs.Delete(dir);
            }
        }
    }

    private async Task RunAsync(string label, string what, int calls, int clients, Func<Task<AwsResponse>> call)
    {
        for (var i = 0; i < 20; i++)
        {
            await call();
        }

        var latencies = new List<double>(calls);
        var total = Stopwatch.StartNew();
        var remaining = calls;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                var one = Stopwatch.StartNew();
                var response = await call();
                Assert.True(response.Status is 200, response.ToString());
                lock (latencies)
                {
                    latencies.Add(one.Elapsed.TotalMilliseconds);
                }
            }
        }));
        total.Stop();
        latencies.Sort();
        output.WriteLine($"{label}  {what,-40} p50 {latencies[latencies.Count / 2],6:F2} ms  p99 {latencies[latencies.Count * 99 / 100],6:F2} ms  " +
                         $"{calls / total.Elapsed.TotalSeconds,7:F0} calls/s");
    }
}
