namespace Lamina.Sandboxes;

/// <summary>Server settings of the sandbox's protections.</summary>
internal sealed record IsolationOptions
{
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

    public bool SizedTmp { get; private init; }

    /// <summary>Which protections are missing (empty in strict mode).</summary>
    public IReadOnlyList<string> Missing { get; private init; } = [];

    public bool IsComplete => Missing.Count == 0;

    public static async Task<Isolation> PrepareAsync(IsolationOptions options, WorkDirectory work, int runtimeApiPort, ILogger logger)
    {
        var problems = new List<string>();
        if (!File.Exists(SandboxLauncher.Bubblewrap))
        {
            // Nothing runs without bubblewrap, not even in development mode.
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

        if (!File.Exists("/usr/bin/setpriv"))
        {
            problems.Add("/usr/bin/setpriv is missing (apt-get install util-linux).");
        }

        NetworkSlots? network = null;
        if (root)
        {
            var (slots, networkProblem) = await NetworkSlots.CreateAsync(runtimeApiPort, options.Egress, logger);
            network = slots;
            if (networkProblem is not null)
            {
                problems.Add(networkProblem);
            }
        }

        var tmp = new TmpVolumes(work, logger);
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

        if (problems.Count > 0 && !options.InsecureDevelopmentMode)
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
            Uids = root && File.Exists("/usr/bin/setpriv") ? new UidPool() : null,
            Tmp = tmp,
            SizedTmp = sizedTmp,
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
    }
}

/// <summary>The host lacks protections and insecure development mode was not asked for.</summary>
internal sealed class IsolationUnavailableException(IReadOnlyList<string> problems)
    : Exception("Lamina will not run functions without isolation:\n  - " + string.Join("\n  - ", problems) +
                "\nFix the above, or start with --insecure-dev to run WITHOUT these protections (development only).")
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
