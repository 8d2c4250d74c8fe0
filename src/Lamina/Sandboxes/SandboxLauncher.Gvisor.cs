namespace Lamina.Sandboxes;

internal sealed partial class SandboxLauncher
{
    /// <summary>
    /// Ends the chain in <c>runsc run</c>: writes the environment's OCI bundle (the same host view, variables,
    /// command, uid 993 and RLIMIT_NOFILE as the bubblewrap tier, Lamina's seccomp allowlist) and returns the
    /// container id, which the sandbox's disposal deletes.
    /// </summary>
    private string AddRunscArguments(System.Collections.ObjectModel.Collection<string> args, LaunchSpec spec, Gvisor gvisor)
    {
        var mounts = new List<Mount>();
        foreach (var mount in HostView(spec))
        {
            // bubblewrap's --ro-bind-try: a host without, say, /etc/pki just has none in the sandbox.
            if (!mount.Optional || Path.Exists(mount.Host))
            {
                mounts.Add(mount);
            }
        }

        gvisor.EnsureMountPoints(mounts);
        var containerId = gvisor.NextContainerId(spec.Id);
        var command = new List<string>(spec.Command.Count + 1) { "/var/lamina/init" };
        command.AddRange(spec.Command);
        var bundle = gvisor.WriteBundle(containerId, OciSpec.Build(gvisor.Rootfs, mounts, spec.Environment, command, SeccompFilter.OciProfile()));
        args.Add(gvisor.Runsc);
        foreach (var flag in gvisor.GlobalArguments())
        {
            args.Add(flag);
        }

        args.Add("run");
        args.Add("--bundle");
        args.Add(bundle);
        args.Add(containerId);
        return containerId;
    }
}
