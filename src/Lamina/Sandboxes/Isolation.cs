namespace Lamina.Sandboxes;

/// <summary>What runs an environment's processes (<c>--sandbox</c>).</summary>
internal enum SandboxTier
{
    /// <summary>bubblewrap namespaces, seccomp, an unprivileged host uid: the host kernel serves every syscall.</summary>
    Bubblewrap,

    /// <summary>gVisor's runsc (ptrace platform): a user-space kernel serves the syscalls, the host sees only the sentry's.</summary>
    Gvisor,
}

/// <summary>Server settings of the sandbox's protections.</summary>
internal sealed record IsolationOptions
{
    /// <summary>The sandbox tier of every environment on this server (<c>--sandbox bubblewrap|gvisor</c>).</summary>
    public SandboxTier Sandbox { get; init; } = SandboxTier.Bubblewrap;

    /// <summary>The runsc binary of the gVisor tier (env <c>LAMINA_RUNSC</c>; Debian's package installs it here).</summary>
    public string RunscPath { get; init; } = Gvisor.DefaultRunsc;

    /// <summary>
    /// Run without protections the host cannot provide (no root, no cgroups, no network namespaces...),
    /// with a loud warning. For development only: functions are then NOT isolated from each other or the host.
    /// </summary>
    public bool InsecureDevelopmentMode { get; init; }

    /// <summary>Whether environments may open connections to other networks (on by default; <c>--egress none</c> cuts it).</summary>
    public bool Egress { get; init; } = true;
}

/// <summary>
/// The protections every environment gets, checked once at start-up: fail closed — if the host cannot
/// provide one, <c>lamina serve</c> refuses to start and says what to install or enable — unless the
/// operator asked for insecure development mode.
/// </summary>
internal sealed class Isolation : IAsyncDisposable
{
    private Isolation(IsolationOptions options)
    {
        Options = options;
    }

    public IsolationOptions Options { get; }

    public CgroupRoot? Cgroups { get; private init; }

    public SeccompFilter? Seccomp { get; private init; }

    public NetworkSlots? Network { get; private init; }

    public UidPool? Uids { get; private init; }

    public TmpVolumes Tmp { get; private init; } = null!;

    /// <summary>Environments starting now; housekeeping waits for a quiet moment (<see cref="LaunchActivity"/>).</summary>
    public LaunchActivity Launches { get; private init; } = null!;

    /// <summary>runsc and its state, when the server runs the gVisor tier.</summary>
    public Gvisor? Gvisor { get; private init; }

    public bool SizedTmp { get; private init; }

    /// <summary>Which protections are missing (empty in strict mode).</summary>
    public IReadOnlyList<string> Missing { get; private init; } = [];

    public bool IsComplete => Missing.Count == 0;

    public static async Task<Isolation> PrepareAsync(IsolationOptions options, WorkDirectory work, int runtimeApiPort, TimeProvider time, ILogger logger)
    {
        var launches = new LaunchActivity(time);
        var problems = new List<string>();
        var gvisorTier = options.Sandbox == SandboxTier.Gvisor;
        if (gvisorTier && !File.Exists(options.RunscPath))
        {
            // Asked for the stronger tier: never fall back to the weaker one, not even in development mode.
            throw new IsolationUnavailableException([Gvisor.Missing(options.RunscPath)]);
        }

        if (!gvisorTier && !File.Exists(SandboxLauncher.Bubblewrap))
        {
            // Nothing runs without the tier's sandbox, not even in development mode.
            throw new IsolationUnavailableException([$"{SandboxLauncher.Bubblewrap} is missing (apt-get install bubblewrap)."]);
        }

        var root = Environment.IsPrivilegedProcess;
        if (!root)
        {
            problems.Add("Lamina is not running as root, which it needs to create cgroups, network namespaces, sized /tmp volumes and per-environment users.");
        }

        CgroupRoot? cgroups = null;
        if (root)
        {
            cgroups = CgroupRoot.Detect(Base36.Encode(Environment.ProcessId) + "-" + Base36.Encode(Random.Shared.Next()), out var cgroupProblem);
            if (cgroups is null)
            {
                problems.Add(cgroupProblem!);
            }
        }

        var seccomp = SeccompFilter.Compile(out var seccompProblem);
        if (seccomp is null)
        {
            problems.Add(seccompProblem!);
        }

        // setpriv is the bubblewrap tier's uid switch; runsc needs root and drops privileges itself.
        if (!gvisorTier && !File.Exists("/usr/bin/setpriv"))
        {
            problems.Add("/usr/bin/setpriv is missing (apt-get install util-linux).");
        }

        NetworkSlots? network = null;
        if (root)
        {
            var (slots, networkProblem) = await NetworkSlots.CreateAsync(runtimeApiPort, options.Egress, launches, logger);
            network = slots;
            if (networkProblem is not null)
            {
                problems.Add(networkProblem);
            }
        }

        var tmp = new TmpVolumes(work, launches, logger);
        var sizedTmp = false;
        if (root)
        {
            var tmpProblem = await tmp.ProbeAsync();
            sizedTmp = tmpProblem is null;
            if (tmpProblem is not null)
            {
                problems.Add(tmpProblem);
            }
        }

        Gvisor? gvisor = null;
        if (gvisorTier && (problems.Count == 0 || options.InsecureDevelopmentMode))
        {
            var (prepared, gvisorProblem) = await Gvisor.PrepareAsync(options.RunscPath, work, logger);
            gvisor = prepared;
            if (gvisorProblem is not null)
            {
                problems.Add(gvisorProblem);
            }
        }

        // A gVisor tier that cannot start a sandbox is refused even in development mode: it was asked for by name.
        if (problems.Count > 0 && (!options.InsecureDevelopmentMode || (gvisorTier && gvisor is null)))
        {
            if (network is not null)
            {
                await network.DisposeAsync();
            }

            await tmp.DestroyReadyAsync();
            throw new IsolationUnavailableException(problems);
        }

        return new Isolation(options)
        {
            Cgroups = cgroups,
            Seccomp = seccomp,
            Network = network,
            Uids = root && !gvisorTier && File.Exists("/usr/bin/setpriv") ? new UidPool() : null,
            Tmp = tmp,
            Launches = launches,
            SizedTmp = sizedTmp,
            Gvisor = gvisor,
            Missing = problems,
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (Network is not null)
        {
            await Network.DisposeAsync();
        }

        await Tmp.DestroyReadyAsync();
        if (Gvisor is not null)
        {
            await Gvisor.DisposeAsync();
        }
    }
}

/// <summary>The host lacks protections and insecure development mode was not asked for.</summary>
internal sealed class IsolationUnavailableException(IReadOnlyList<string> problems)
    : Exception("Lamina will not run functions without isolation:\n  - " + string.Join("\n  - ", problems) +
                "\nFix the above, or start with --insecure-dev to run WITHOUT these protections (development only).")
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
