using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Lamina.Sandboxes;

/// <summary>
/// A bubblewrap-tier launcher started ahead of demand: its <c>sh</c> has joined a fresh cgroup and waits on stdin for
/// the rest of its command. It inherited bubblewrap's seccomp program and an empty argument memfd that the server fills
/// when an environment takes it (<see cref="SandboxLauncher.Start"/>).
/// </summary>
internal sealed class ParkedLauncher
{
    private int _argsFd;

    internal ParkedLauncher(Process process, ICgroup? cgroup, int argsFd, int? seccompFd)
    {
        Process = process;
        Cgroup = cgroup;
        _argsFd = argsFd;
        ArgsFdNumber = argsFd;
        SeccompFdNumber = seccompFd;
    }

    /// <summary>The cgroup the shell joined; the environment that takes the launcher owns it (and destroys it).</summary>
    public ICgroup? Cgroup { get; }

    internal Process Process { get; }

    /// <summary>The argument memfd's number in the launcher (the same as the server's close-on-exec copy had when it was made).</summary>
    internal int ArgsFdNumber { get; }

    internal int? SeccompFdNumber { get; }

    public bool HasExited => Process.HasExited;

    /// <summary>Fills bubblewrap's argument memfd and closes the server's copy (bubblewrap keeps the launcher's).</summary>
    internal void FillArguments(byte[] arguments)
    {
        var fd = Interlocked.Exchange(ref _argsFd, -1);
        if (fd < 0)
        {
            throw new InvalidOperationException("This parked launcher was already used.");
        }

        try
        {
            InheritedMemfd.Fill(fd, arguments);
        }
        finally
        {
            InheritedMemfd.Release(fd);
        }
    }

    /// <summary>
    /// Ends a launcher that never got its command: stdin closes, the shell reads EOF before its end-of-command line
    /// and exits 125 without running anything. The cgroup stays with its owner.
    /// </summary>
    public async Task AbandonAsync()
    {
        if (Interlocked.Exchange(ref _argsFd, -1) is var fd and >= 0)
        {
            InheritedMemfd.Release(fd);
        }

        try
        {
            Process.StandardInput.Close();
            await Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception ex) when (ex is TimeoutException or IOException or InvalidOperationException)
        {
            try
            {
                Process.Kill();
            }
            catch (InvalidOperationException)
            {
                // Gone meanwhile.
            }
        }

        Process.Dispose();
    }
}

internal sealed partial class SandboxLauncher
{
    /// <summary>
    /// Launchers kept parked. Two cover a cold start and the one after it; a burst beyond that parks on demand (as every
    /// launch did before), and the pool refills when no environment is starting.
    /// </summary>
    private const int ParkedTarget = 2;

    /// <summary>
    /// The launcher shell: join the cgroup (one procs file per v1 hierarchy), set RLIMIT_NOFILE, then read the command
    /// one argument per line until an empty line and exec it with stderr merged into stdout. EOF before the empty line
    /// (the server stopped or gave up on it) exits without running anything.
    /// </summary>
    private static readonly string LauncherScript =
        $$"""n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 126; shift; n=$((n-1)); done; ulimit -n {{MaxOpenFiles}}; """ +
        """set --; while IFS= read -r a; do if [ -z "$a" ]; then exec "$@" 2>&1; fi; set -- "$@" "$a"; done; exit 125""";

    private readonly ConcurrentQueue<ParkedLauncher> _parked = new();
    private int _refilling;
    private volatile bool _closed;

    /// <summary>
    /// A launcher for a new environment of the bubblewrap tier, already inside a fresh cgroup that now gets
    /// <paramref name="limits"/>. Why parked: on cgroup v1 a process's first cgroup.procs write waits for an RCU grace
    /// period, 8-15 ms measured on this host (then under 2 ms for the other hierarchies), on every cold start's path.
    /// </summary>
    public ParkedLauncher TakeParked(ResourceLimits limits)
    {
        ParkedLauncher? taken = null;
        while (taken is null && _parked.TryDequeue(out var candidate))
        {
            if (candidate.HasExited)
            {
                _ = DiscardAsync(candidate);
                continue;
            }

            taken = candidate;
        }

        StartRefill();
        if (taken is null)
        {
            return ParkInNewGroup(limits);
        }

        taken.Cgroup?.Apply(limits);
        return taken;
    }

    /// <summary>Fills the pool in the background; starts nothing on the gVisor tier, whose launch does not park.</summary>
    private void StartRefill()
    {
        if (isolation.Gvisor is not null || _closed || Interlocked.Exchange(ref _refilling, 1) != 0)
        {
            return;
        }

        _ = Task.Run(RefillAsync, CancellationToken.None);
    }

    private async Task RefillAsync()
    {
        try
        {
            while (_parked.Count < ParkedTarget && !_closed)
            {
                // Spawning costs a starting environment CPU on a busy core: wait until none is starting (at most 1 s).
                await isolation.Launches.WhenQuietAsync();
                _parked.Enqueue(ParkInNewGroup(null));
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            Log.ParkFailed(logger, ex);
        }
        finally
        {
            Volatile.Write(ref _refilling, 0);
        }

        if (_closed)
        {
            await CloseParkedAsync();
        }
    }

    /// <summary>Ends the parked launchers and removes their cgroups (server shutdown).</summary>
    public async Task CloseParkedAsync()
    {
        _closed = true;
        while (_parked.TryDequeue(out var parked))
        {
            await DiscardAsync(parked);
        }
    }

    private static async Task DiscardAsync(ParkedLauncher parked)
    {
        await parked.AbandonAsync();
        if (parked.Cgroup is { } cgroup)
        {
            await cgroup.DestroyAsync();
        }
    }

    /// <summary>A launcher parked in a cgroup of its own, created now (with no limits until taken, when null).</summary>
    private ParkedLauncher ParkInNewGroup(ResourceLimits? limits)
    {
        var cgroup = isolation.Cgroups?.Create(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), limits);
        try
        {
            return Park(cgroup);
        }
        catch when (cgroup is not null)
        {
            // Nothing joined it: removing the empty group is immediate.
            _ = cgroup.DestroyAsync();
            throw;
        }
    }

    /// <summary>Starts a launcher shell in <paramref name="cgroup"/> (bubblewrap tier) that waits for its command.</summary>
    internal ParkedLauncher Park(ICgroup? cgroup)
    {
        var info = LauncherShell(LauncherScript, cgroup);
        lock (_spawnLock)
        {
            var seccompFd = isolation.Seccomp?.CreateDescriptor();
            var argsFd = -1;
            try
            {
                argsFd = InheritedMemfd.Create("lamina-bwrap-args", []);
                // From the one thread that never exits: --die-with-parent follows the forking thread (SpawnerThread).
                var process = SpawnerThread.Run(() => Process.Start(info)) ?? throw new InvalidOperationException("Could not start the sandbox launcher.");
                InheritedMemfd.KeepFromLaterSpawns(argsFd);
                return new ParkedLauncher(process, cgroup, argsFd, seccompFd);
            }
            catch
            {
                if (argsFd >= 0)
                {
                    InheritedMemfd.Release(argsFd);
                }

                throw;
            }
            finally
            {
                if (seccompFd is { } fd)
                {
                    SeccompFilter.CloseDescriptor(fd);
                }
            }
        }
    }

    /// <summary>
    /// <c>sh -c SCRIPT lamina-sandbox N PROCS...</c> with only PATH in its environment: the script first writes its pid
    /// into the N cgroup.procs files, so it and everything it execs or forks belongs to the environment's cgroup.
    /// </summary>
    private static ProcessStartInfo LauncherShell(string script, ICgroup? cgroup)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.Environment.Clear();
        info.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
        var args = info.ArgumentList;
        args.Add("-c");
        args.Add(script);
        args.Add("lamina-sandbox");
        var procs = cgroup?.ProcsFiles ?? [];
        args.Add(procs.Count.ToString(CultureInfo.InvariantCulture));
        foreach (var file in procs)
        {
            args.Add(file);
        }

        return info;
    }

    /// <summary>Hands a parked launcher its command: one argument per line, then the empty line that execs it.</summary>
    private static void SendCommand(ParkedLauncher parked, IEnumerable<string> command)
    {
        var text = new StringBuilder();
        foreach (var argument in command)
        {
            if (argument.Length == 0 || argument.Contains('\n', StringComparison.Ordinal) || argument.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"A launcher argument is empty or contains a newline or NUL: '{argument}'.", nameof(command));
            }

            text.Append(argument).Append('\n');
        }

        text.Append('\n');
        var stdin = parked.Process.StandardInput.BaseStream;
        stdin.Write(Encoding.UTF8.GetBytes(text.ToString()));
        stdin.Flush();
        // The sandbox reads nothing from stdin: closing it now gives a runtime that does EOF, not Lamina's stdin.
        parked.Process.StandardInput.Close();
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Could not park a sandbox launcher ahead of demand; cold starts park their own")]
        public static partial void ParkFailed(ILogger logger, Exception exception);
    }
}
