using System.Diagnostics;
using System.Globalization;
using Lamina.Benchmarks.ControlPlane;

namespace Lamina.Benchmarks.Async;

/// <summary>
/// Where the function reports each event it starts: <c>bench/async_sink.py</c> in a network namespace of its
/// own, joined to the host by a veth pair. Sandboxes may not connect to any host address (nftables), but with
/// egress they reach other networks, and this namespace is one; so the benchmark sees starts without reading
/// any of Lamina's own records.
/// </summary>
internal sealed class SinkNamespace(string name, ServerProcess process, string reportFile) : IAsyncDisposable
{
    // A /30 of its own: the async crash test's sink uses 172.31.250.0/30, so the two can run at the same time.
    public const string HostAddress = "172.31.251.1";

    public const string Address = "172.31.251.2";

    public const int Port = 8080;

    /// <summary>One JSON line per event start, appended by the sink.</summary>
    public string ReportFile { get; } = reportFile;

    public static async Task<SinkNamespace> StartAsync(RepoPaths repo, string workDir, CancellationToken cancellationToken)
    {
        // Names carry the pid so two runs (or a run beside the tests) never collide; interface names stop at 15 characters.
        var id = Environment.ProcessId.ToString("x", CultureInfo.InvariantCulture);
        var netns = $"lamina-bench-sink-{id}";
        var hostInterface = $"lbs{id}";
        // A run killed before its cleanup leaves its namespace (and sink) behind, holding the same addresses:
        // remove those whose benchmark process is gone.
        await ShellAsync($$"""
            for stale in $(ip netns list | sed -n 's/^\(lamina-bench-sink-[0-9a-f]*\).*/\1/p'); do
              [ -d /proc/$((0x${stale##*-})) ] && continue
              for pid in $(ip netns pids "$stale"); do
                kill "$pid" 2>/dev/null || true
                while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
              done
              ip netns del "$stale"
            done
            ip netns add {{netns}}
            ip link add {{hostInterface}} type veth peer name sink0 netns {{netns}}
            ip addr add {{HostAddress}}/30 dev {{hostInterface}}
            ip link set {{hostInterface}} up
            ip -n {{netns}} addr add {{Address}}/30 dev sink0
            ip -n {{netns}} link set sink0 up
            ip -n {{netns}} link set lo up
            """, cancellationToken);

        var reportFile = Path.Combine(workDir, "starts.jsonl");
        var process = ServerProcess.Start("sink", "ip",
            ["netns", "exec", netns, "python3", Path.Combine(repo.Root, "bench", "async_sink.py"), reportFile, Address,
                Port.ToString(CultureInfo.InvariantCulture)],
            Path.Combine(workDir, "sink.log"), cpus: null, new Dictionary<string, string> { ["PATH"] = SbinPath });
        var sink = new SinkNamespace(netns, process, reportFile);
        try
        {
            // The sink answers GET with 501: any answer means the host reaches it over the veth pair.
            await ServerLauncher.WaitForHttpAsync(process, new Uri($"http://{Address}:{Port}/"), cancellationToken);
            return sink;
        }
        catch
        {
            await sink.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await process.DisposeAsync();
        // Deleting the namespace removes sink0 and with it the host end of the pair.
        await ShellAsync($"ip netns del {name}", CancellationToken.None);
    }

    /// <summary>iproute2 lives in /usr/sbin or /sbin, which a non-login PATH may lack.</summary>
    private static string SbinPath => "/usr/sbin:/sbin:" + Environment.GetEnvironmentVariable("PATH");

    private static async Task ShellAsync(string script, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardError = true };
        info.ArgumentList.Add("-ec");
        info.ArgumentList.Add(script);
        info.Environment["PATH"] = SbinPath;
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start /bin/sh.");
        var stderr = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"Setting up the sink's network namespace failed (needs root and iproute2): {stderr.Trim()}");
        }
    }
}
