using Lamina.Benchmarks.ControlPlane;

namespace Lamina.Benchmarks.Durable;

/// <summary>
/// One round of the per-step phase on one side: a 0-step execution and an N-step one, end to end, with the
/// CPU time the Lamina process used during each (null for the local runner).
/// </summary>
internal sealed record StepRound(int Steps, double BaseMs, double FullMs, double? BaseCpuMs = null, double? FullCpuMs = null,
    double? BaseFunctionCpuMs = null, double? FullFunctionCpuMs = null)
{
    /// <summary>What each step added: the fixed cost of an execution (start, invocation, close) cancels out.</summary>
    public double PerStepMs => (FullMs - BaseMs) / Steps;

    /// <summary>Lamina's own CPU time per step (its process only; the function's Node process is not counted).</summary>
    public double? ServerCpuPerStepMs => FullCpuMs - BaseCpuMs is { } cpu ? cpu / Steps : null;

    /// <summary>CPU time of the function's Node process per step (10 ms resolution, so read over many steps).</summary>
    public double? FunctionCpuPerStepMs => FullFunctionCpuMs - BaseFunctionCpuMs is { } cpu ? cpu / Steps : null;
}

/// <summary>The throughput phase on one side: concurrent executions of N steps each, started together.</summary>
internal sealed record ConcurrentRun(int Executions, int Steps, double WallMs, double? ServerCpu)
{
    public double StepsPerSecond => Executions * Steps / (WallMs / 1000);
}

/// <summary>One wait: when it was due, when the timer completed it, and when user code ran again (epoch ms).</summary>
internal sealed record WaitSample(int Seconds, double ScheduledEndMs, double FiredMs, double ResumedMs)
{
    public double FiredLateMs => FiredMs - ScheduledEndMs;

    public double ResumedLateMs => ResumedMs - ScheduledEndMs;
}

/// <summary>Everything one run measured, on both sides.</summary>
internal sealed record DurableResults(
    DateTimeOffset StartedAt,
    TimeSpan Took,
    DurableSettings Settings,
    MachineInfo Machine,
    string NodeVersion,
    int CheckpointBytes,
    IReadOnlyList<double> FloorRoundMeansMs,
    LatencySummary Floor,
    IReadOnlyList<StepRound> LaminaSteps,
    IReadOnlyList<StepRound> LocalSteps,
    ConcurrentRun? LaminaConcurrent,
    ConcurrentRun? LocalConcurrent,
    IReadOnlyList<WaitSample> LaminaWaits,
    IReadOnlyList<WaitSample> LocalWaits,
    string LoadAverages)
{
    /// <summary>Per round, Lamina's per-step time over the mean raw commit of the same round.</summary>
    public IReadOnlyList<double> OverheadRatios =>
        [.. LaminaSteps.Zip(FloorRoundMeansMs, (step, floor) => step.PerStepMs / floor)];

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
