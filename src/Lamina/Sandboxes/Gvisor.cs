using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lamina.Sandboxes;

/// <summary>
/// The host side of the gVisor tier (<c>--sandbox gvisor</c>): the runsc binary, this server's runsc state
/// directory (<c>--root</c>), the OCI bundles it starts environments from, and the read-only root file
/// system those bundles share. All of it lives on a small tmpfs at <c>WORK/runsc</c>, mode 0700: a bundle's
/// <c>config.json</c> and runsc's state file both hold the environment's variables, credentials included,
/// which must not reach a disk.
/// </summary>
/// <remarks>
/// runsc runs with <c>--platform=ptrace</c> (these hosts' <c>/dev/kvm</c> is kvm-pvm, on which the KVM
/// platform spins forever; reference/security.md section 1), <c>--network=host</c> inside the environment's
/// own network namespace (so the Runtime API, nftables rules and egress setting work exactly as for
/// bubblewrap; runsc 20221219's own netstack refused to start there: "cannot run with network enabled in
/// root network namespace"), <c>--ignore-cgroups</c> (without it runsc moves its sandbox and gofer into a
/// new cgroup named after the container at the root of every hierarchy, out of the environment's limits) and
/// <c>--oci-seccomp</c> (the sentry enforces Lamina's allowlist on the function).
/// </remarks>
internal sealed partial class Gvisor : IAsyncDisposable
{
    public const string DefaultRunsc = "/usr/bin/runsc";

    /// <summary>The tmpfs holding state, bundles and the root skeleton: a few KB per environment.</summary>
    private const string TmpfsOptions = "size=64m,mode=0700,nosuid,nodev";

    private readonly Lock _rootfsLock = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task> _deleting = new(StringComparer.Ordinal);
    private readonly ILogger _logger;
    private int _launches;

    private Gvisor(string runsc, string root, ILogger logger)
    {
        Runsc = runsc;
        Root = root;
        _logger = logger;
    }

    public string Runsc { get; }

    /// <summary>The tmpfs mount point under the work directory.</summary>
    public string Root { get; }

    /// <summary>runsc's <c>--root</c>: this server's container state, apart from any other runsc user on the host.</summary>
    public string State => Path.Combine(Root, "state");

    public string Bundles => Path.Combine(Root, "bundles");

    /// <summary>The read-only root every sandbox starts from: mount points and the /bin, /lib symlinks, nothing else.</summary>
    public string Rootfs => Path.Combine(Root, "rootfs");

    public static string Missing(string runsc) =>
        $"{runsc} is missing: --sandbox gvisor needs gVisor's runsc (apt-get install runsc).";

    /// <summary>runsc's flags before the subcommand, the same for run, delete and the start-up probe.</summary>
    public IReadOnlyList<string> GlobalArguments() =>
        ["--root", State, "--platform=ptrace", "--network=host", "--ignore-cgroups", "--oci-seccomp"];

    /// <summary>A container id no earlier launch of this server used: a killed sandbox's state never blocks the next start.</summary>
    public string NextContainerId(string environmentId) =>
        $"{environmentId}-{Interlocked.Increment(ref _launches).ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Mounts the tmpfs, lays out the root skeleton and starts one sandbox to prove runsc works here.</summary>
    public static async Task<(Gvisor? Gvisor, string? Problem)> PrepareAsync(string runsc, WorkDirectory work, ILogger logger)
    {
        var root = Path.Combine(work.Root, "runsc");
        Directory.CreateDirectory(root);
        var mounted = await HostCommands.RunAsync("mount", ["-t", "tmpfs", "-o", TmpfsOptions, "lamina-runsc", root]);
        if (mounted.ExitCode != 0)
        {
            return (null, $"cannot mount a tmpfs for runsc's state at {root} ({mounted.Output.Trim()}); the gVisor tier needs root.");
        }

        var gvisor = new Gvisor(runsc, root, logger);
        foreach (var dir in new[] { gvisor.State, gvisor.Bundles, gvisor.Rootfs })
        {
            Directory.CreateDirectory(dir);
        }

        foreach (var (link, target) in new[] { ("bin", "usr/bin"), ("sbin", "usr/sbin"), ("lib", "usr/lib"), ("lib64", "usr/lib64") })
        {
            File.CreateSymbolicLink(Path.Combine(gvisor.Rootfs, link), target);
        }

        var problem = await gvisor.ProbeAsync();
        if (problem is not null)
        {
            await gvisor.DisposeAsync();
            return (null, problem);
        }

        return (gvisor, null);
    }

    /// <summary>
    /// Starts <c>/usr/bin/true</c> in a sandbox with the flags environments get, so a broken or incompatible
    /// runsc stops the server at start-up, not the first invoke.
    /// </summary>
    private async Task<string?> ProbeAsync()
    {
        var id = "lamina-probe-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        Mount[] mounts = [new("/usr", "/usr")];
        EnsureMountPoints(mounts);
        var bundle = WriteBundle(id, OciSpec.Build(Rootfs, mounts, [new("PATH", "/usr/bin")], ["/usr/bin/true"], SeccompFilter.OciProfile()));
        var started = Stopwatch.GetTimestamp();
        HostCommands.Result result;
        try
        {
            // timeout(1): a platform that cannot run here hangs rather than fails (runsc --platform=kvm spins on kvm-pvm).
            result = await HostCommands.RunAsync("timeout", ["-s", "KILL", "30", Runsc, .. GlobalArguments(), "run", "--bundle", bundle, id]);
        }
        finally
        {
            await DeleteAsync(id);
        }

        if (result.ExitCode != 0)
        {
            var output = result.Output.Trim();
            if (output.Length > 600)
            {
                output = "..." + output[^600..];
            }

            var reason = result.ExitCode == 137 ? "no answer within 30 s" : $"exit {result.ExitCode}: {output}";
            return $"gVisor (--sandbox gvisor) could not start a sandbox with {Runsc} on the ptrace platform ({reason}). " +
                   "Install or repair it with: apt-get install runsc.";
        }

        Log.Ready(_logger, Runsc, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return null;
    }

    /// <summary>
    /// Creates each mount's mount point in the root skeleton (runsc cannot create one in a read-only root).
    /// Points inside another mount are created too and simply hidden by it.
    /// </summary>
    public void EnsureMountPoints(IEnumerable<Mount> mounts)
    {
        lock (_rootfsLock)
        {
            foreach (var mount in mounts)
            {
                var point = Path.Combine(Rootfs, mount.Sandbox.TrimStart('/'));
                if (mount.IsFile)
                {
                    if (!File.Exists(point))
                    {
                        Directory.CreateDirectory(Path.GetDirectoryName(point)!);
                        File.WriteAllBytes(point, []);
                    }
                }
                else
                {
                    Directory.CreateDirectory(point);
                }
            }
        }
    }

    /// <summary>Writes <c>BUNDLES/ID/config.json</c> and returns the bundle directory.</summary>
    public string WriteBundle(string containerId, JsonObject spec)
    {
        var dir = Path.Combine(Bundles, containerId);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), spec.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        return dir;
    }

    /// <summary>
    /// Deletes a dead container's state in the background. The environment's cgroup kill has already ended
    /// runsc, gofer, sentry and stubs; <c>runsc delete</c> then waits until the sandbox pid is reaped, and the
    /// killed sandbox is reaped by pid 1, which on these hosts (<c>/process_api</c>) took 1.3–2 s: awaited, that
    /// added 2 s to every timeout reset and every environment's shutdown. Launches use fresh container ids, so
    /// nothing waits on the deletion; <see cref="DisposeAsync"/> does, before the tmpfs goes.
    /// </summary>
    public void Release(string containerId)
    {
        var deletion = Task.Run(() => DeleteAsync(containerId));
        _deleting[containerId] = deletion;
        _ = deletion.ContinueWith(_ => _deleting.TryRemove(containerId, out Task? _), TaskScheduler.Default);
    }

    /// <summary>
    /// Removes a container's state and bundle once its processes are dead (the cgroup kill ends runsc,
    /// gofer, sentry and stubs alike, but leaves runsc's state file behind). A container whose
    /// <c>runsc run</c> exited by itself is already gone, and runsc says so: not an error.
    /// </summary>
    public async Task DeleteAsync(string containerId)
    {
        try
        {
            var result = await HostCommands.RunAsync(Runsc, ["--root", State, "delete", "--force", containerId]);
            if (result.ExitCode != 0 && !result.Output.Contains("does not exist", StringComparison.Ordinal))
            {
                Log.DeleteFailed(_logger, containerId, result.Output.Trim());
            }
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Log.DeleteFailed(_logger, containerId, ex.Message);
        }

        try
        {
            Directory.Delete(Path.Combine(Bundles, containerId), recursive: true);
        }
        catch (IOException)
        {
            // Already gone, or the tmpfs with it: nothing of this container is left to remove.
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Environments are shut down by now; their deletions finish within the few seconds pid 1 takes to reap.
        await Task.WhenAll(_deleting.Values);
        await HostCommands.RunAsync("umount", ["-l", Root]);
    }

    private static partial class Log
    {
        // 1900-1949: gVisor sandboxes.
        [LoggerMessage(1900, LogLevel.Information, "gVisor tier ready: {Runsc} started a probe sandbox in {Milliseconds:0} ms")]
        public static partial void Ready(ILogger logger, string runsc, double milliseconds);

        [LoggerMessage(1901, LogLevel.Warning, "runsc could not delete container {ContainerId}: {Output}")]
        public static partial void DeleteFailed(ILogger logger, string containerId, string output);
    }
}
