using System.Diagnostics;

namespace Lamina.Benchmarks.ControlPlane;

/// <summary>
/// A server under test, run as a child process (optionally pinned with taskset) whose output goes to a
/// log file: a pipe nobody drains would stall a server that logs every request, as moto_server does.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(string name, Process process, string logPath, string? cpus)
    {
        Name = name;
        _process = process;
        LogPath = logPath;
        Cpus = cpus;
    }

    public string Name { get; }

    public string LogPath { get; }

    /// <summary>The taskset CPU list it runs on, or null when not pinned.</summary>
    public string? Cpus { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>User plus system CPU time of the server so far (all its threads).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>
    /// Starts <paramref name="executable"/> through <c>sh -c 'exec "$@" &gt;log 2&gt;&amp;1'</c>: exec keeps the pid
    /// (taskset and the pyenv shims exec too), so the pid is the server's own and its CPU time is readable.
    /// </summary>
    public static ServerProcess Start(string name, string executable, IEnumerable<string> arguments, string logPath, string? cpus,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = false,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$@\" >\"$BENCH_LOG\" 2>&1 </dev/null");
        info.ArgumentList.Add("sh");
        if (cpus is { Length: > 0 })
        {
            info.ArgumentList.Add("taskset");
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(cpus);
        }

        info.ArgumentList.Add(executable);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["BENCH_LOG"] = logPath;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {executable}.");
        return new ServerProcess(name, process, logPath, cpus is { Length: > 0 } ? cpus : null);
    }

    /// <summary>The end of the server's log, for error messages.</summary>
    public string LogTail(int maxChars = 2000)
    {
        try
        {
            var text = File.ReadAllText(LogPath);
            return text.Length <= maxChars ? text : text[^maxChars..];
        }
        catch (IOException)
        {
            return "";
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        catch (OperationCanceledException)
        {
            // It will be reaped with us; nothing more to do.
        }
        finally
        {
            _process.Dispose();
        }
    }
}
