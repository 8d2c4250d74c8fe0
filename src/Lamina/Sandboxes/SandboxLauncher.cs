using System.Diagnostics;

namespace Lamina.Sandboxes;

/// <summary>A bind mount from the host into the sandbox; an optional one is skipped when the host lacks it.</summary>
internal readonly record struct Mount(string Host, string Sandbox, bool Writable = false, bool IsFile = false, bool Optional = false);

/// <summary>What to run in a sandbox and how.</summary>
internal sealed record LaunchSpec
{
    public required string Id { get; init; }

    /// <summary>The complete environment of the sandboxed process (nothing of Lamina's own leaks in).</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Environment { get; init; }

    public required IReadOnlyList<Mount> Mounts { get; init; }

    /// <summary>Command and arguments, as paths inside the sandbox.</summary>
    public required IReadOnlyList<string> Command { get; init; }

    public ICgroup? Cgroup { get; init; }

    /// <summary>The prepared network namespace to enter; null shares the host's network (development mode).</summary>
    public string? NetworkNamespace { get; init; }

    /// <summary>The unprivileged host uid (and gid) to run as; null keeps Lamina's (development mode).</summary>
    public int? HostUid { get; init; }
}

/// <summary>
/// Starts sandboxes with bubblewrap (or, on a <c>--sandbox gvisor</c> server, with gVisor's runsc): fresh
/// user, pid, ipc, uts and cgroup namespaces, a read-only view of the host's /usr, the function's code,
/// layers and runtime read-only, and its own /tmp.
/// </summary>
/// <remarks>
/// The process chain is <c>sh</c> (joins the environment's cgroups, sets RLIMIT_NOFILE, merges stderr into
/// stdout) → <c>nsenter</c> into the environment's network namespace → <c>setpriv</c> to its own
/// unprivileged uid with no capabilities and no_new_privs → <c>bwrap</c> (new user, pid, ipc, uts and cgroup
/// namespaces, uid 993 inside, nested user namespaces disabled, seccomp filter by fd). Each step execs
/// the next, so every process of the sandbox starts inside its cgroup: a pid written after start would
/// leave already-forked children outside (reference/security.md sections 1 and 3). On the bubblewrap tier the
/// <c>sh</c> is started ahead of demand and waits for the rest of its command (<c>SandboxLauncher.Park.cs</c>). The gVisor tier keeps
/// <c>sh</c> and <c>nsenter</c> and ends in <c>runsc run</c> instead of <c>setpriv</c> and <c>bwrap</c>
/// (<c>SandboxLauncher.Gvisor.cs</c>): runsc starts as root and confines itself.
/// </remarks>
internal sealed partial class SandboxLauncher(WorkDirectory work, Isolation isolation, ILogger<SandboxLauncher> logger)
{
    /// <summary>RLIMIT_NOFILE of a Lambda environment: 1,024 open files.</summary>
    public const int MaxOpenFiles = 1024;

    /// <summary>AWS runs functions as sbx_user1051, uid 993, gid 990; both tiers show them so.</summary>
    public const int SandboxUid = 993;

    public const int SandboxGid = 990;

    // Spawns are serialized while a seccomp memfd is open: it is inherited by whatever starts meanwhile.
    private readonly Lock _spawnLock = new();

    public const string Bubblewrap = "/usr/bin/bwrap";

    /// <summary>Host files under /etc that runtimes need (TLS roots, name resolution, the loader cache); others stay hidden.</summary>
    private static readonly string[] EtcFiles =
    [
        "/etc/ssl", "/etc/ca-certificates", "/etc/pki", "/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/host.conf",
        "/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/mime.types", "/etc/gai.conf",
    ];

    private const string InitScript = """
        #!/bin/sh
        # Lamina environment init: start external extensions from /opt/extensions (each with the runtime's
        # environment minus what AWS withholds from extensions), then become the runtime's bootstrap.
        if [ -d /opt/extensions ]; then
          for ext in /opt/extensions/*; do
            if [ -f "$ext" ] && [ -x "$ext" ]; then
              (
                for name in $_LAMINA_EXTENSION_UNSET; do unset "$name"; done
                unset _LAMINA_EXTENSION_UNSET
                exec "$ext"
              ) &
            fi
          done
        fi
        unset _LAMINA_EXTENSION_UNSET
        exec "$@"
        """;

    /// <summary>Writes Lamina's own sandbox files (init script, passwd, group) into the work directory; starts parking launchers.</summary>
    public void Prepare()
    {
        var init = Path.Combine(work.Support, "init");
        File.WriteAllText(init, InitScript.Replace("\r", "", StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(init, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                   UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        // AWS runs functions as sbx_user1051 (uid 993); programs that look up their user find it.
        File.WriteAllText(Path.Combine(work.Etc, "passwd"),
            "root:x:0:0:root:/root:/sbin/nologin\nsbx_user1051:x:993:990::/tmp:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n");
        File.WriteAllText(Path.Combine(work.Etc, "group"), "root:x:0:\nsbx_user1051:x:990:\nnogroup:x:65534:\n");
        foreach (var file in new[] { "passwd", "group" })
        {
            File.SetUnixFileMode(Path.Combine(work.Etc, file), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        StartRefill();
    }

    /// <param name="parked">
    /// A launcher parked in the environment's cgroup (<see cref="TakeParked"/>); null parks one now (a restart after a
    /// crash or timeout, in the cgroup the environment keeps).
    /// </param>
    public SandboxProcess Start(LaunchSpec spec, Action<string> onLine, ParkedLauncher? parked = null)
    {
        if (isolation.Gvisor is { } gvisor)
        {
            EnsureProtected(spec);
            return StartGvisor(spec, onLine, gvisor);
        }

        parked ??= Park(spec.Cgroup);
        try
        {
            EnsureProtected(spec);
            if (!ReferenceEquals(parked.Cgroup, spec.Cgroup))
            {
                throw new InvalidOperationException($"Sandbox {spec.Id}: the parked launcher is not in the environment's cgroup.");
            }

            // bubblewrap reads its options from a memfd (--args): on its command line the environment's variables, role
            // credentials and decrypted customer values among them, would be readable by every host user in
            // /proc/PID/cmdline for as long as the environment lives (bwrap stays as the sandbox's parent).
            var bwrapArgs = new System.Collections.ObjectModel.Collection<string>();
            AddBubblewrapArguments(bwrapArgs, spec, parked.SeccompFdNumber);
            parked.FillArguments(NulSeparated(bwrapArgs));

            var command = new System.Collections.ObjectModel.Collection<string>();
            if (spec.NetworkNamespace is { } netns)
            {
                command.Add("/usr/bin/nsenter");
                command.Add($"--net={netns}");
                command.Add("--");
            }

            if (spec.HostUid is { } uid)
            {
                command.Add("/usr/bin/setpriv");
                command.Add($"--reuid={uid}");
                command.Add($"--regid={uid}");
                command.Add("--clear-groups");
                command.Add("--inh-caps=-all");
                command.Add("--bounding-set=-all");
                command.Add("--no-new-privs");
                command.Add("--");
            }

            command.Add(Bubblewrap);
            // Options only: bwrap takes the command itself from its real command line.
            command.Add("--args");
            command.Add(parked.ArgsFdNumber.ToString(System.Globalization.CultureInfo.InvariantCulture));
            AddSandboxCommand(command, spec);
            SendCommand(parked, command);
        }
        catch
        {
            _ = parked.AbandonAsync();
            throw;
        }

        return new SandboxProcess(parked.Process, onLine);
    }

    /// <summary>The gVisor tier: <c>sh</c> joins the cgroup, <c>nsenter</c> the network namespace, then <c>runsc run</c>.</summary>
    private SandboxProcess StartGvisor(LaunchSpec spec, Action<string> onLine, Gvisor gvisor)
    {
        // The function's RLIMIT_NOFILE is set in the OCI spec: the sentry and gofer hold host descriptors for the
        // function's files and their own, so 1,024 on them would cap the function below it.
        var info = LauncherShell(
            """n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 126; shift; n=$((n-1)); done; exec "$@" 2>&1""", spec.Cgroup);
        var args = info.ArgumentList;
        if (spec.NetworkNamespace is { } netns)
        {
            args.Add("/usr/bin/nsenter");
            args.Add($"--net={netns}");
            args.Add("--");
        }

        var containerId = AddRunscArguments(args, spec, gvisor);
        var started = SpawnerThread.Run(() => Process.Start(info));
        if (started is null)
        {
            gvisor.Release(containerId);
            throw new InvalidOperationException("Could not start the sandbox launcher.");
        }

        started.StandardInput.Close();
        return new SandboxProcess(started, onLine, () => gvisor.Release(containerId));
    }

    /// <summary>Arguments as bubblewrap's <c>--args</c> reads them: each one NUL-terminated, UTF-8.</summary>
    private static byte[] NulSeparated(IEnumerable<string> arguments)
    {
        using var buffer = new MemoryStream();
        foreach (var argument in arguments)
        {
            if (argument.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException("A sandbox argument contains a NUL character.", nameof(arguments));
            }

            var bytes = System.Text.Encoding.UTF8.GetBytes(argument);
            buffer.Write(bytes);
            buffer.WriteByte(0);
        }

        return buffer.ToArray();
    }

    /// <summary>What every sandbox sees of the host besides /proc and /dev, in mount order, for either tier.</summary>
    private List<Mount> HostView(LaunchSpec spec)
    {
        var mounts = new List<Mount> { new("/usr", "/usr") };
        foreach (var path in EtcFiles)
        {
            mounts.Add(new Mount(path, path, IsFile: File.Exists(path), Optional: true));
        }

        mounts.Add(new Mount(Path.Combine(work.Etc, "passwd"), "/etc/passwd", IsFile: true));
        mounts.Add(new Mount(Path.Combine(work.Etc, "group"), "/etc/group", IsFile: true));
        mounts.Add(new Mount(work.Support, "/var/lamina"));
        mounts.AddRange(spec.Mounts);
        return mounts;
    }

    /// <summary>
    /// The last line of defence: with complete isolation available, no sandbox starts without its cgroup,
    /// network namespace, unprivileged uid and seccomp filter, whatever a caller forgot.
    /// </summary>
    internal void EnsureProtected(LaunchSpec spec)
    {
        if (!isolation.IsComplete)
        {
            return;
        }

        var missing = new List<string>();
        if (spec.Cgroup is null)
        {
            missing.Add("cgroup");
        }

        if (spec.NetworkNamespace is null)
        {
            missing.Add("network namespace");
        }

        // runsc starts as root and drops to its own user namespace, capabilities and seccomp filter; the
        // function's uid is gVisor's, not the host's.
        if (isolation.Gvisor is null && spec.HostUid is null or 0)
        {
            missing.Add("unprivileged uid");
        }

        if (isolation.Seccomp is null)
        {
            missing.Add("seccomp filter");
        }

        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"Refusing to start sandbox {spec.Id} without: {string.Join(", ", missing)}.");
        }
    }

    private void AddBubblewrapArguments(System.Collections.ObjectModel.Collection<string> args, LaunchSpec spec, int? seccompFd)
    {
        void Add(params string[] values)
        {
            foreach (var v in values)
            {
                args.Add(v);
            }
        }

        // The network namespace is nsenter's (or the host's in development mode): bwrap keeps it.
        Add("--unshare-user", "--uid", SandboxUid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--gid", SandboxGid.ToString(System.Globalization.CultureInfo.InvariantCulture), "--disable-userns");
        Add("--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try");
        Add("--die-with-parent", "--new-session", "--hostname", "sandbox");
        if (seccompFd is { } fd)
        {
            Add("--seccomp", fd.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        Add("--clearenv");
        foreach (var (name, value) in spec.Environment)
        {
            Add("--setenv", name, value);
        }

        foreach (var mount in HostView(spec))
        {
            Add(mount.Writable ? "--bind" : mount.Optional ? "--ro-bind-try" : "--ro-bind", mount.Host, mount.Sandbox);
        }

        Add("--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin");

        Add("--proc", "/proc", "--dev", "/dev");
        Add("--chdir", "/var/task");
    }

    /// <summary>What bubblewrap runs, after its options: Lamina's init, then the runtime's command (no secrets).</summary>
    private static void AddSandboxCommand(System.Collections.ObjectModel.Collection<string> args, LaunchSpec spec)
    {
        args.Add("--");
        args.Add("/var/lamina/init");
        foreach (var part in spec.Command)
        {
            args.Add(part);
        }
    }
}
