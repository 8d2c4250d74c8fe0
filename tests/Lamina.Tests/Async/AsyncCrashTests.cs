using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
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
    private const string SinkAddress = "172.31.250.2";
    private const string SinkPort = "8080";

    private const string SinkScript = """
        import http.server, os, sys
        fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        class Sink(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'
            def do_POST(self):
                body = self.rfile.read(int(self.headers['Content-Length']))
                os.write(fd, body + b'\n')
                self.send_response(204)
                self.send_header('Content-Length', '0')
                self.end_headers()
            def log_message(self, *args):
                pass
        http.server.ThreadingHTTPServer(('0.0.0.0', int(sys.argv[2])), Sink).serve_forever()
        """;

    /// <summary>A custom runtime that reports every event to the sink before it answers.</summary>
    private const string Bootstrap = $$"""
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
                        sink = http.client.HTTPConnection('{{SinkAddress}}', {{SinkPort}}, timeout=5)
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
        var sinkFile = Path.Combine(dir, "sink.log");
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        await using var sink = await Sink.StartAsync(dir, sinkFile);
        await using var server = new LaminaProcess(Path.Combine(dir, "data"), "--time-scale", "60");
        try
        {
            await server.StartAsync();
            await CreateRoleAsync(server);
            await CreateFunctionAsync(server);

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
                var delivered = Delivered(sinkFile).Count;
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
                deliveries = Delivered(sinkFile);
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

    private static List<int> Delivered(string sinkFile)
    {
        if (!File.Exists(sinkFile))
        {
            return [];
        }

        using var stream = new FileStream(sinkFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var result = new List<int>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                using var doc = JsonDocument.Parse(line);
                result.Add(doc.RootElement.GetProperty("n").GetInt32());
            }
        }

        return result;
    }

    private static async Task CreateRoleAsync(LaminaProcess server)
    {
        using var iam = server.Client("iam");
        var form = "Action=CreateRole&Version=2010-05-08&RoleName=lambda-role&AssumeRolePolicyDocument=" +
                   Uri.EscapeDataString(TestRoles.LambdaTrust);
        var created = await iam.SendAsync(HttpMethod.Post, "/", rawBody: Encoding.UTF8.GetBytes(form), contentType: "application/x-www-form-urlencoded");
        Assert.True(created.Status == 200, created.ToString());
    }

    private static async Task CreateFunctionAsync(LaminaProcess server)
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
        });
        Assert.True(created.Status == 201, created.ToString());
    }

    /// <summary>The sink: a network namespace on its own veth pair, with a Python HTTP server appending each body to a file.</summary>
    private sealed class Sink : IAsyncDisposable
    {
        private readonly string _ns;
        private readonly Process _process;

        private Sink(string ns, Process process)
        {
            _ns = ns;
            _process = process;
        }

        public static async Task<Sink> StartAsync(string dir, string file)
        {
            var id = Environment.ProcessId.ToString("x", CultureInfo.InvariantCulture);
            var ns = $"lamina-sink-{id}";
            var hostIf = $"lsk{id}";
            await RunAsync("/usr/sbin/ip", "netns", "del", ns);
            await CheckedAsync("/usr/sbin/ip", "netns", "add", ns);
            await CheckedAsync("/usr/sbin/ip", "link", "add", hostIf, "type", "veth", "peer", "name", "sink0", "netns", ns);
            await CheckedAsync("/usr/sbin/ip", "addr", "add", "172.31.250.1/30", "dev", hostIf);
            await CheckedAsync("/usr/sbin/ip", "link", "set", hostIf, "up");
            await CheckedAsync("/usr/sbin/ip", "-n", ns, "addr", "add", $"{SinkAddress}/30", "dev", "sink0");
            await CheckedAsync("/usr/sbin/ip", "-n", ns, "link", "set", "sink0", "up");
            await CheckedAsync("/usr/sbin/ip", "-n", ns, "link", "set", "lo", "up");
            var script = Path.Combine(dir, "sink.py");
            await File.WriteAllTextAsync(script, SinkScript.Replace("\r", "", StringComparison.Ordinal));
            var info = new ProcessStartInfo("/usr/sbin/ip") { UseShellExecute = false, RedirectStandardError = true };
            foreach (var arg in new[] { "netns", "exec", ns, "python3", script, file, SinkPort })
            {
                info.ArgumentList.Add(arg);
            }

            var process = Process.Start(info)!;
            var sink = new Sink(ns, process);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while ((await RunAsync("/usr/sbin/ip", "netns", "exec", ns, "python3", "-c",
                       $"import socket; socket.create_connection(('127.0.0.1', {SinkPort}), 1)")).ExitCode != 0)
            {
                if (DateTime.UtcNow > deadline || process.HasExited)
                {
                    await sink.DisposeAsync();
                    throw new InvalidOperationException("the sink server did not start");
                }

                await Task.Delay(100);
            }

            return sink;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
            await RunAsync("/usr/sbin/ip", "netns", "del", _ns);
        }

        private static Task<ProcessResult> RunAsync(string file, params string[] args) => ProcessRunner.RunAsync(file, args);

        private static async Task CheckedAsync(string file, params string[] args)
        {
            var result = await RunAsync(file, args);
            Assert.True(result.ExitCode == 0, $"{file} {string.Join(' ', args)}: {result}");
        }
    }
}
