using System.Text.Json.Nodes;

namespace Lamina.Sandboxes;

/// <summary>
/// Writes the OCI runtime spec (<c>config.json</c>, runtime-spec 1.0) that runsc starts an environment
/// from: the same view of the host as the bubblewrap tier's arguments give, expressed as a read-only root
/// with bind mounts.
/// </summary>
internal static class OciSpec
{
    /// <param name="rootfs">A read-only directory holding the mount points and the /bin, /lib symlinks.</param>
    /// <param name="mounts">Bind mounts in order (later ones may sit inside earlier ones).</param>
    /// <param name="environment">The complete process environment.</param>
    /// <param name="args">Command and arguments, as paths inside the sandbox.</param>
    /// <param name="seccomp">The OCI seccomp profile the sentry enforces on the function (runsc <c>--oci-seccomp</c>).</param>
    public static JsonObject Build(
        string rootfs,
        IReadOnlyList<Mount> mounts,
        IReadOnlyList<KeyValuePair<string, string>> environment,
        IReadOnlyList<string> args,
        JsonObject seccomp)
    {
        var env = new JsonArray();
        foreach (var (name, value) in environment)
        {
            env.Add($"{name}={value}");
        }

        var argv = new JsonArray();
        foreach (var arg in args)
        {
            argv.Add(arg);
        }

        var mountList = new JsonArray
        {
            new JsonObject { ["destination"] = "/proc", ["type"] = "proc", ["source"] = "proc" },
            // A tmpfs /dev: gVisor fills it with its own null, zero, full, random, urandom, tty and ptmx.
            new JsonObject { ["destination"] = "/dev", ["type"] = "tmpfs", ["source"] = "tmpfs", ["options"] = new JsonArray("nosuid", "mode=755") },
        };
        foreach (var mount in mounts)
        {
            mountList.Add(new JsonObject
            {
                ["destination"] = mount.Sandbox,
                ["type"] = "bind",
                ["source"] = mount.Host,
                ["options"] = new JsonArray("rbind", mount.Writable ? "rw" : "ro", "nosuid", "nodev"),
            });
        }

        return new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = new JsonObject
            {
                // AWS runs functions as sbx_user1051 (993:990), as the bubblewrap tier's user namespace shows them.
                ["user"] = new JsonObject { ["uid"] = SandboxLauncher.SandboxUid, ["gid"] = SandboxLauncher.SandboxGid },
                ["args"] = argv,
                ["env"] = env,
                ["cwd"] = "/var/task",
                ["noNewPrivileges"] = true,
                ["capabilities"] = new JsonObject
                {
                    ["bounding"] = new JsonArray(),
                    ["effective"] = new JsonArray(),
                    ["inheritable"] = new JsonArray(),
                    ["permitted"] = new JsonArray(),
                    ["ambient"] = new JsonArray(),
                },
                ["rlimits"] = new JsonArray(
                    Rlimit("RLIMIT_NOFILE", SandboxLauncher.MaxOpenFiles),
                    // The environment's pids.max counts host threads, and the sentry runs the function's tasks on
                    // far fewer: 2,000 Python threads started under a 1,024 limit. gVisor enforces RLIMIT_NPROC on its
                    // own tasks (the 1,024th thread fails), which gives the function Lambda's limit again.
                    Rlimit("RLIMIT_NPROC", ResourceLimits.LambdaMaxPids)),
            },
            ["root"] = new JsonObject { ["path"] = rootfs, ["readonly"] = true },
            ["hostname"] = "sandbox",
            ["mounts"] = mountList,
            ["linux"] = new JsonObject
            {
                // No network namespace entry: runsc --network=host keeps the one nsenter put it in, the environment's own.
                ["namespaces"] = new JsonArray(
                    new JsonObject { ["type"] = "pid" },
                    new JsonObject { ["type"] = "ipc" },
                    new JsonObject { ["type"] = "uts" },
                    new JsonObject { ["type"] = "mount" }),
                ["seccomp"] = seccomp,
            },
        };
    }

    private static JsonObject Rlimit(string type, int limit) => new() { ["type"] = type, ["hard"] = limit, ["soft"] = limit };
}
