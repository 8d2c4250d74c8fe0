using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Lamina.Tests.Support;

/// <summary>
/// A witness outside Lamina for crash tests: an HTTP server in its own network namespace, on its own
/// veth pair and /30, that appends every POST body as a line to a file. Functions reach it through
/// their environments' egress (sandboxes can reach other networks, never the host's own addresses), so
/// what it records does not depend on anything Lamina keeps.
/// </summary>
public sealed class SinkNamespace : IAsyncDisposable
{
    private const string Port = "8080";

    private const string Script = """
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

    private readonly string _namespace;
    private readonly Process _process;

    private SinkNamespace(string ns, Process process, string address, string file)
    {
        _namespace = ns;
        _process = process;
        Address = address;
        File = file;
    }

    /// <summary>Where functions post: <c>http://ADDRESS:8080/</c>.</summary>
    public string Address { get; }

    public string Url => $"http://{Address}:{Port}/";

    /// <summary>One line per POST body received.</summary>
    public string File { get; }

    /// <summary>Starts sink number <paramref name="slot"/> (0–3): each slot has its own namespace and 172.31.(250+slot).0/30.</summary>
    public static async Task<SinkNamespace> StartAsync(string dir, int slot)
    {
        var id = Environment.ProcessId.ToString("x", CultureInfo.InvariantCulture);
        var ns = $"lamina-sink-{id}-{slot}";
        var hostIf = $"lsk{id}s{slot}";
        var subnet = $"172.31.{250 + slot}";
        var address = $"{subnet}.2";
        var file = Path.Combine(dir, $"sink-{slot}.log");
        await RunAsync("/usr/sbin/ip", "netns", "del", ns);
        await RunAsync("/usr/sbin/ip", "link", "del", hostIf);
        await CheckedAsync("/usr/sbin/ip", "netns", "add", ns);
        await CheckedAsync("/usr/sbin/ip", "link", "add", hostIf, "type", "veth", "peer", "name", "sink0", "netns", ns);
        await CheckedAsync("/usr/sbin/ip", "addr", "add", $"{subnet}.1/30", "dev", hostIf);
        await CheckedAsync("/usr/sbin/ip", "link", "set", hostIf, "up");
        await CheckedAsync("/usr/sbin/ip", "-n", ns, "addr", "add", $"{address}/30", "dev", "sink0");
        await CheckedAsync("/usr/sbin/ip", "-n", ns, "link", "set", "sink0", "up");
        await CheckedAsync("/usr/sbin/ip", "-n", ns, "link", "set", "lo", "up");
        var script = Path.Combine(dir, $"sink-{slot}.py");
        await System.IO.File.WriteAllTextAsync(script, Script.Replace("\r", "", StringComparison.Ordinal));
        var info = new ProcessStartInfo("/usr/sbin/ip") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var arg in new[] { "netns", "exec", ns, "python3", script, file, Port })
        {
            info.ArgumentList.Add(arg);
        }

        var sink = new SinkNamespace(ns, Process.Start(info)!, address, file);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await RunAsync("/usr/sbin/ip", "netns", "exec", ns, "python3", "-c",
                   $"import socket; socket.create_connection(('127.0.0.1', {Port}), 1)")).ExitCode != 0)
        {
            if (DateTime.UtcNow > deadline || sink._process.HasExited)
            {
                await sink.DisposeAsync();
                throw new InvalidOperationException("the sink server did not start");
            }

            await Task.Delay(100);
        }

        return sink;
    }

    /// <summary>Every body received so far, parsed as JSON.</summary>
    public List<JsonElement> Received()
    {
        if (!System.IO.File.Exists(File))
        {
            return [];
        }

        using var stream = new FileStream(File, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var result = new List<JsonElement>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                using var doc = JsonDocument.Parse(line);
                result.Add(doc.RootElement.Clone());
            }
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        await RunAsync("/usr/sbin/ip", "netns", "del", _namespace);
    }

    private static Task<ProcessResult> RunAsync(string file, params string[] args) => ProcessRunner.RunAsync(file, args);

    private static async Task CheckedAsync(string file, params string[] args)
    {
        var result = await RunAsync(file, args);
        Assert.True(result.ExitCode == 0, $"{file} {string.Join(' ', args)}: {result}");
    }
}
