namespace Lamina.Benchmarks.DataPlane;

/// <summary>One run of the data-plane benchmark; Lamina and its floors get exactly these settings.</summary>
internal sealed record DataPlaneSettings
{
    /// <summary>Runtimes to measure (see <see cref="BenchRuntime.All"/>): the Python custom runtime and managed Node.js.</summary>
    public IReadOnlyList<string> Runtimes { get; init; } = ["provided", "nodejs"];

    /// <summary>Closed-loop workers (and keep-alive connections) of the warm-invoke measurements.</summary>
    public IReadOnlyList<int> Concurrency { get; init; } = [1, 8];

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Per target; Lamina's tiered JIT needs tens of seconds of calls on one busy core to reach tier 1.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The measured duration is split into this many interleaved visits of every target.</summary>
    public int Rounds { get; init; } = 2;

    /// <summary>
    /// MemorySize of the warm, cold-start and victim functions. 1,769 MB is one full vCPU of CFS quota, so
    /// the quota does not throttle a runtime that answers an echo (128 MB gets 7% of a CPU).
    /// </summary>
    public int MemoryMb { get; init; } = 1769;

    /// <summary>Forced cold starts per runtime (and as many launches of each floor).</summary>
    public int ColdSamples { get; init; } = 15;

    /// <summary>Concurrent invocations of a sleeping function: each needs its own new environment.</summary>
    public int Burst { get; init; } = 32;

    /// <summary>MemorySize of the burst function: Lambda's default, the size most environments have.</summary>
    public int BurstMemoryMb { get; init; } = 128;

    /// <summary>How long each burst invocation sleeps; long enough that no environment is free before the last request arrives.</summary>
    public TimeSpan BurstSleep { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Neighbour scenarios: COUNTxMEMORY, e.g. 4 environments of 128 MB spinning in <c>while True: pass</c>. The first is the
    /// issue's own case (one hog with a whole vCPU); the others crowd the one pinned CPU harder.
    /// </summary>
    public IReadOnlyList<HogScenario> Hogs { get; init; } = [new(1, 1769), new(4, 128), new(2, 1769)];

    public string ServerCpus { get; init; } = "1";

    public string? LaminaExecutable { get; init; }

    public bool WriteDocs { get; init; } = true;

    /// <summary>The per-environment memory overhead target of the issue (beyond the runtime process itself).</summary>
    public const double OverheadTargetMiB = 5;
}

/// <summary><paramref name="Environments"/> environments of <paramref name="MemoryMb"/> MB each burning CPU.</summary>
internal sealed record HogScenario(int Environments, int MemoryMb)
{
    public override string ToString() => $"{Environments}x{MemoryMb}";

    public static HogScenario Parse(string text)
    {
        var parts = text.Split('x', 2);
        return parts.Length == 2 && int.TryParse(parts[0], out var count) && int.TryParse(parts[1], out var memory) && count > 0 && memory >= 128
            ? new HogScenario(count, memory)
            : throw new FormatException($"'{text}' is not COUNTxMEMORY (e.g. 4x128).");
    }
}
