namespace Lamina.Benchmarks.Durable;

/// <summary>One run of the durable benchmark; Lamina and the SDK's local runner get exactly these settings.</summary>
internal sealed record DurableSettings
{
    /// <summary>Sequential steps per execution in the per-step phase.</summary>
    public int Steps { get; init; } = 100;

    /// <summary>Rounds of the per-step phase; each runs a 0-step and an N-step execution and N raw commits.</summary>
    public int Rounds { get; init; } = 7;

    /// <summary>
    /// MemorySize of the function. 1,769 MB is one full vCPU of CFS quota, as in the data-plane harness: at 256 MB
    /// (0.14 vCPU) the function's own share of the CPU bounded a step (perf sched: the runtime ran in bursts at every
    /// 100 ms quota period), which measured Lambda's CPU allowance, not the checkpoint path.
    /// </summary>
    public int MemoryMb { get; init; } = 1769;

    /// <summary>Sequential executions before the per-step rounds, at least this long (and at least three).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(40);

    /// <summary>Concurrent executions in the throughput phase.</summary>
    public int Concurrency { get; init; } = 64;

    /// <summary>Steps per execution in the throughput phase.</summary>
    public int ConcurrentSteps { get; init; } = 20;

    /// <summary>Executions in the timer phase, each doing one wait.</summary>
    public int Waits { get; init; } = 64;

    /// <summary>The timer phase's executions start spread evenly over this long.</summary>
    public TimeSpan WaitStagger { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Wait durations, used in turn.</summary>
    public IReadOnlyList<int> WaitSeconds { get; init; } = [1, 2];

    /// <summary>Lamina (and the functions it runs) on this taskset CPU list; the client and the local runner on the others.</summary>
    public string ServerCpus { get; init; } = "1";

    public string? LaminaExecutable { get; init; }

    /// <summary>Which sides to measure: lamina, local (the SDK testing package's runner).</summary>
    public IReadOnlyList<string> Targets { get; init; } = ["lamina", "local"];

    public bool WriteDocs { get; init; } = true;

    public const string Region = "us-east-1";

    public const string FunctionName = "bench-durable";

    public const string RoleName = "bench-durable-role";

    public bool Measures(string target) => Targets.Contains(target, StringComparer.OrdinalIgnoreCase);
}
