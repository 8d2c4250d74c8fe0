using System.Diagnostics;
using System.Globalization;

namespace Lamina.Benchmarks.DataPlane;

/// <summary>How the runtime floor starts a runtime process.</summary>
internal enum FloorSandbox
{
    /// <summary>The bootstrap as a plain child process: the runtime alone.</summary>
    None,

    /// <summary>
    /// The bootstrap under bubblewrap with the namespaces Lamina's sandboxes get (user, pid, ipc, uts,
    /// cgroup), a read-only /usr, the code at /var/task and a tmpfs /tmp; nothing else.
    /// </summary>
    Bubblewrap,
}

/// <summary>
/// Starts the floor's runtime processes with the environment a Lamina environment would give them
/// (Runtime API address, handler, memory size), minus what only Lamina adds.
/// </summary>
/// <remarks>
/// What the bubblewrap floor leaves out of Lamina's launch: the cgroup (memory, pids and CPU limits),
/// the per-environment network namespace and veth pair (the floor's runtimes share the host's loopback),
/// the unprivileged host uid (setpriv), the seccomp filter, the sized loop-mounted /tmp, the role-session
/// credentials, the <c>sh → nsenter → setpriv → bwrap → init</c> exec chain and the log pipe Lamina reads.
/// </remarks>
internal sealed class FloorLauncher(string workDir, string runtimesDir, int apiPort, string? cgroupDir)
{
    public const string MarkerVariable = "_BENCH_FLOOR";

    private const string Bubblewrap = "/usr/bin/bwrap";

    private static readonly string[] EtcFiles = ["/etc/ld.so.cache", "/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/ssl"];

    public string CodeDir(BenchRuntime runtime) => Path.Combine(workDir, "code-" + runtime.Name);

    /// <param name="memoryMb">The function's memory size, as Lamina passes it (Node's bootstrap sizes its heap from it).</param>
    /// <param name="ownCgroup">Start the (bare) process in a memory cgroup of its own, like a Lamina environment's, so both are charged alike.</param>
    public Process Start(BenchRuntime runtime, FloorSlot slot, FloorSandbox sandbox, int memoryMb, bool ownCgroup)
    {
        var sandboxed = sandbox == FloorSandbox.Bubblewrap;
        var code = sandboxed ? "/var/task" : CodeDir(runtime);
        var runtimeDir = sandboxed ? "/var/runtime" : Path.Combine(runtimesDir, "nodejs");
        var environment = new List<KeyValuePair<string, string>>
        {
            new("PATH", "/usr/local/bin:/usr/bin:/bin"),
            new("LANG", "C.UTF-8"),
            new("TZ", ":UTC"),
            new("AWS_LAMBDA_RUNTIME_API", $"{slot.Address}:{apiPort.ToString(CultureInfo.InvariantCulture)}"),
            new("AWS_LAMBDA_FUNCTION_NAME", "bench-floor-" + runtime.Name),
            new("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            new("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memoryMb.ToString(CultureInfo.InvariantCulture)),
            new("AWS_REGION", "us-east-1"),
            new("_HANDLER", runtime.Handler),
            new("LAMBDA_TASK_ROOT", code),
            new(MarkerVariable, Marker(runtime, sandbox, ownCgroup)),
        };
        string command;
        if (runtime.Name == "nodejs")
        {
            environment.Add(new("LAMBDA_RUNTIME_DIR", runtimeDir));
            environment.Add(new("NODE_PATH", $"{runtimeDir}/node_modules:{runtimeDir}:{code}"));
            environment.Add(new("_LAMINA_INTERPRETER", "/usr/bin/node"));
            command = runtimeDir + "/bootstrap";
        }
        else
        {
            command = code + "/bootstrap";
        }

        var info = new ProcessStartInfo { UseShellExecute = false };
        info.Environment.Clear();
        if (sandboxed)
        {
            info.FileName = Bubblewrap;
            AddBubblewrapArguments(info.ArgumentList, runtime, environment, command);
        }
        else
        {
            foreach (var (name, value) in environment)
            {
                info.Environment[name] = value;
            }

            if (ownCgroup && cgroupDir is not null)
            {
                var group = Path.Combine(cgroupDir, "slot-" + slot.Index.ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(group);
                info.FileName = "/bin/sh";
                info.ArgumentList.Add("-c");
                info.ArgumentList.Add("echo $$ > \"$0\" && exec \"$@\"");
                info.ArgumentList.Add(Path.Combine(group, "cgroup.procs"));
                info.ArgumentList.Add(command);
            }
            else
            {
                info.FileName = command;
            }
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start {command}.");
    }

    /// <summary>What <see cref="MarkerVariable"/> holds in a floor runtime's environment, so the harness can find it.</summary>
    public static string Marker(BenchRuntime runtime, FloorSandbox sandbox, bool ownCgroup) =>
        $"{runtime.Name}/{sandbox}/{(ownCgroup ? "cgroup" : "plain")}";

    /// <summary>The interpreter alone, doing nothing: the least any runtime start can cost.</summary>
    public static Process StartInterpreterOnly(BenchRuntime runtime)
    {
        var info = new ProcessStartInfo(runtime.InterpreterOnly[0]) { UseShellExecute = false };
        foreach (var argument in runtime.InterpreterOnly.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start {runtime.InterpreterOnly[0]}.");
    }

    private void AddBubblewrapArguments(System.Collections.ObjectModel.Collection<string> args, BenchRuntime runtime,
        List<KeyValuePair<string, string>> environment, string command)
    {
        foreach (var arg in (string[])["--unshare-user", "--uid", "993", "--gid", "990", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                     "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv"])
        {
            args.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            args.Add("--setenv");
            args.Add(name);
            args.Add(value);
        }

        foreach (var arg in (string[])["--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                     "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin"])
        {
            args.Add(arg);
        }

        foreach (var path in EtcFiles)
        {
            args.Add("--ro-bind-try");
            args.Add(path);
            args.Add(path);
        }

        args.Add("--ro-bind");
        args.Add(CodeDir(runtime));
        args.Add("/var/task");
        if (runtime.Name == "nodejs")
        {
            args.Add("--ro-bind");
            args.Add(Path.Combine(runtimesDir, "nodejs"));
            args.Add("/var/runtime");
        }

        foreach (var arg in (string[])["--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev", "--chdir", "/var/task", "--", command])
        {
            args.Add(arg);
        }
    }
}
