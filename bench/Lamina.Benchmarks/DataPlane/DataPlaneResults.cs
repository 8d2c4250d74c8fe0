using Lamina.Benchmarks.ControlPlane;

namespace Lamina.Benchmarks.DataPlane;

/// <summary>What a measurement ran against: Lamina, or one of the floors beside it.</summary>
internal static class Target
{
    public const string Echo = "echo";
    public const string Floor = "floor";
    public const string Lamina = "Lamina";
    public const string ColdBubblewrap = "floor: bwrap";
    public const string ColdBare = "floor: bare process";
    public const string ColdInterpreter = "interpreter only";
}

/// <summary>A closed-loop measurement of one target (echo, floor or Lamina) for one runtime and concurrency.</summary>
/// <param name="Server">CPU and run-queue wait of the server process's threads during the measurement.</param>
/// <param name="Runtimes">The same for the runtime processes the target relays to (none for echo).</param>
internal sealed record WarmRun(string Runtime, int Concurrency, string Target, LoadResult Result, CpuSchedule Server, CpuSchedule Runtimes)
{
    /// <summary>Microseconds per successful request.</summary>
    public double PerRequest(TimeSpan total) => Result.Requests == 0 ? 0 : total.TotalMicroseconds / Result.Requests;
}

/// <summary>Time to the first response of a new environment (or process), client-measured, in milliseconds.</summary>
/// <param name="InitDuration">Lamina's own <c>Init Duration</c> from the REPORT line, when the target is Lamina.</param>
/// <param name="Errors">Cold starts that failed (their samples are left out for every target).</param>
internal sealed record ColdRun(string Runtime, string Target, LatencySummary Latency, int Samples, LatencySummary? InitDuration, int Errors);

/// <summary>
/// <paramref name="Requested"/> concurrent invocations that each need a new environment. Start times are
/// when each handler began (its own clock), from the moment the requests were sent.
/// </summary>
internal sealed record BurstRun(string Runtime, string Target, int Requested, int Environments, LatencySummary StartMs, int Errors)
{
    /// <summary>Environments created per second: all of them over the time the last one took to start.</summary>
    public double Rate => StartMs.Max <= 0 ? 0 : Environments / (StartMs.Max / 1000);
}

/// <summary>Memory of idle environments beside the same runtime run bare, in bytes per environment (means).</summary>
/// <param name="BareCharge">Cgroup charge of a bare runtime process (the floor keeps each in a memory cgroup of its own).</param>
/// <param name="BarePss">PSS of the bare runtime process.</param>
/// <param name="EnvCharge">Cgroup charge of a Lamina environment with the same history (the burst function's environments).</param>
/// <param name="EnvRuntimePss">PSS of the runtime process inside the environment.</param>
/// <param name="EnvSandboxPss">PSS of the environment's other processes (the two bubblewrap processes).</param>
/// <param name="ServerPerEnv">Growth of the Lamina server's own cgroup per environment during the burst, or null when it has none.</param>
/// <param name="ServerRssPerEnv">Growth of the Lamina process's RSS per environment during the burst.</param>
internal sealed record MemoryRow(
    string Runtime,
    int BareRuntimes,
    CgroupCharge BareCharge,
    long BarePss,
    int Environments,
    CgroupCharge EnvCharge,
    long EnvRuntimePss,
    long EnvSandboxPss,
    int BurstEnvironments,
    CgroupCharge? ServerPerEnv,
    long ServerRssPerEnv)
{
    /// <summary>Inside the environment's cgroup, beyond the bare runtime's (anonymous and kernel memory).</summary>
    public long InEnvironment => EnvCharge.NonFile - BareCharge.NonFile;

    /// <summary>Everything per idle environment beyond the runtime process: in its cgroup, plus the server's share (page cache aside).</summary>
    public long Overhead => InEnvironment + (ServerPerEnv?.NonFile ?? ServerRssPerEnv);
}

/// <summary>The warm function at concurrency 1 without and with CPU-burning neighbour environments.</summary>
/// <param name="HogCores">CPU the neighbours used while the victim was measured (1.0 = one core).</param>
/// <param name="VictimWaitAloneUs">Run-queue wait of the victim's runtime process per request, alone (µs).</param>
/// <param name="VictimWaitBesideUs">The same beside the neighbours.</param>
/// <param name="HogErrors">Neighbour invocations that failed.</param>
internal sealed record NeighbourRun(HogScenario Scenario, LoadResult Baseline, LoadResult WithHogs, double HogCores, long HogThrottledPeriods,
    double VictimWaitAloneUs, double VictimWaitBesideUs, int HogErrors);

/// <summary>Everything one data-plane run measured.</summary>
internal sealed record DataPlaneResults(
    DateTimeOffset StartedAt,
    TimeSpan Took,
    DataPlaneSettings Settings,
    MachineInfo Machine,
    string Cgroups,
    IReadOnlyDictionary<string, string> LaminaRuntimes,
    IReadOnlyList<WarmRun> Warm,
    IReadOnlyDictionary<string, int> ResponseBytes,
    IReadOnlyList<ColdRun> Cold,
    IReadOnlyList<BurstRun> Bursts,
    IReadOnlyList<MemoryRow> Memory,
    IReadOnlyList<NeighbourRun> Neighbours)
{
    public LoadResult? FindWarm(string runtime, int concurrency, string target) => FindWarmRun(runtime, concurrency, target)?.Result;

    public WarmRun? FindWarmRun(string runtime, int concurrency, string target) =>
        Warm.FirstOrDefault(w => w.Runtime == runtime && w.Concurrency == concurrency && w.Target == target);

    public long TotalErrors => Warm.Sum(w => w.Result.Errors) + Cold.Sum(c => c.Errors) + Bursts.Sum(b => b.Errors) +
                               Neighbours.Sum(n => n.Baseline.Errors + n.WithHogs.Errors + n.HogErrors);
}
