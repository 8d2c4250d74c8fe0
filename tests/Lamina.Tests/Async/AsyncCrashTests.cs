using System.Collections.Concurrent;
using System.Text;
using Lamina.Tests.Support;

namespace Lamina.Tests.Async;

/// <summary>
/// The queue loses nothing it acknowledged: 2,000 events are sent while the real server is killed with
/// SIGKILL several times at random moments and restarted on the same data directory. Every event the
/// server answered 202 for must reach the function at least once. The function reports each event to a
/// sink outside Lamina (a small HTTP server in its own network namespace, reached through the
/// environments' egress), so the count does not depend on Lamina's own records surviving the crash.
/// </summary>
public sealed class AsyncCrashTests(ITestOutputHelper output)
{
    private const int Events = 2_000;
    private const int Kills = 3;
    /// <summary>A custom runtime that reports every event to the sink before it answers.</summary>
    private const string Bootstrap = """
        #!/usr/bin/python3 -u
        import http.client, json, os
        host, port = os.environ['AWS_LAMBDA_RUNTIME_API'].rsplit(':', 1)
        api = http.client.HTTPConnection(host, int(port))
        sink = None
        while True:
            api.request('GET', '/2018-06-01/runtime/invocation/next')
            r = api.getresponse()
            body = r.read()
            rid = r.getheader('Lambda-Runtime-Aws-Request-Id')
            event = json.loads(body)
            for attempt in range(2):
                try:
                    if sink is None:
                        sink = http.client.HTTPConnection(os.environ['SINK_HOST'], 8080, timeout=5)
                    sink.request('POST', '/', json.dumps({'n': event['n'], 'rid': rid}), {'Content-Type': 'application/json'})
                    sink.getresponse().read()
                    break
                except OSError:
                    sink = None
            api.request('POST', f'/2018-06-01/runtime/invocation/{rid}/response', '{}')
            api.getresponse().read()
        """;

    [Fact]
    public async Task KillNineWhileQueuedAndInFlight_EveryAcceptedEventIsProcessed()
    {
        var dir = TempDirs.Create("lamina-crash");
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        await using var sink = await SinkNamespace.StartAsync(dir, 0);
        await using var server = new LaminaProcess(Path.Combine(dir, "data"), "--time-scale", "60");
        try
        {
            await server.StartAsync();
            await CreateRoleAsync(server);
            await CreateFunctionAsync(server, sink.Address);

            var accepted = new ConcurrentDictionary<int, string>();
            var next = -1;
            var sending = Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
            {
                int n;
                while ((n = Interlocked.Increment(ref next)) < Events)
                {
                    accepted[n] = await SendUntilAcceptedAsync(server, n);
                }
            })));

            // Kill at random moments: the first ones land while events are still arriving, later ones while the backlog drains.
            for (var kill = 0; kill < Kills; kill++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(300, 4_000)));
                var delivered = Delivered(sink).Count;
                await server.KillAsync();
                output.WriteLine($"kill {kill + 1}: {accepted.Count} accepted, {delivered} deliveries so far");
                await server.StartAsync();
            }

            await sending.WaitAsync(TimeSpan.FromMinutes(5));
            Assert.Equal(Events, accepted.Count);

            var deadline = DateTime.UtcNow.AddMinutes(5);
            List<int> deliveries;
            while (true)
            {
                deliveries = Delivered(sink);
                if (deliveries.Distinct().Count() >= Events || DateTime.UtcNow > deadline)
                {
                    break;
                }

                await Task.Delay(500);
            }

            var missing = Enumerable.Range(0, Events).Except(deliveries).ToList();
            var duplicates = deliveries.Count - deliveries.Distinct().Count();
            output.WriteLine($"{Events} accepted, {deliveries.Count} deliveries, {duplicates} duplicates, {missing.Count} missing, {server.Starts} server starts");
            Assert.True(missing.Count == 0, $"never processed: {string.Join(',', missing.Take(50))}");
            Assert.All(deliveries, n => Assert.InRange(n, 0, Events - 1));
        }
        finally
        {
            await server.KillAsync();
            TempDirs.Delete(dir);
        }
    }

    /// <summary>Sends one event until the server acknowledges it; a send cut off by a crash is retried, as a client would.</summary>
    private static async Task<string> SendUntilAcceptedAsync(LaminaProcess server, int n)
    {
        while (true)
        {
            try
            {
                using var client = server.Client();
                var response = await client.SendAsync(HttpMethod.Post, "/2015-03-31/functions/crash/invocations", new { n },
                    headers: new Dictionary<string, string> { ["X-Amz-Invocation-Type"] = "Event" });
                if (response.Status == 202)
                {
                    return response.Headers["x-amzn-RequestId"];
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }
    }

    private static List<int> Delivered(SinkNamespace sink) => sink.Received().Select(e => e.GetProperty("n").GetInt32()).ToList();

    private static async Task CreateRoleAsync(LaminaProcess server)
    {
        using var iam = server.Client("iam");
        var form = "Action=CreateRole&Version=2010-05-08&RoleName=lambda-role&AssumeRolePolicyDocument=" +
                   Uri.EscapeDataString(TestRoles.LambdaTrust);
        var created = await iam.SendAsync(HttpMethod.Post, "/", rawBody: Encoding.UTF8.GetBytes(form), contentType: "application/x-www-form-urlencoded");
        Assert.True(created.Status == 200, created.ToString());
    }

    private static async Task CreateFunctionAsync(LaminaProcess server, string sinkHost)
    {
        using var client = server.Client();
        var created = await client.PostAsync("/2015-03-31/functions", new
        {
            FunctionName = "crash",
            Runtime = "provided.al2023",
            Role = "arn:aws:iam::000000000000:role/lambda-role",
            Handler = "unused",
            Code = new { ZipFile = Convert.ToBase64String(TestRuntime.Zip(Bootstrap)) },
            MemorySize = 256,
            Timeout = 10,
            Environment = new { Variables = new Dictionary<string, string> { ["SINK_HOST"] = sinkHost } },
        });
        Assert.True(created.Status == 201, created.ToString());
    }
}
