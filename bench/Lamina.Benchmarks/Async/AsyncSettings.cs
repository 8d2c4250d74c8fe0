namespace Lamina.Benchmarks.Async;

/// <summary>One run of the asynchronous-invocation benchmark.</summary>
internal sealed record AsyncSettings
{
    /// <summary>The saturated phase: closed-loop Event invocations, counted as accepted when answered 202.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Unmeasured saturated load before anything is measured: tiered JIT reaches tier 1 in the accept path and the
    /// pollers grow the function's environments to their working set, so later phases start warm.
    /// </summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);

    public int Workers { get; init; } = 16;

    public int Connections { get; init; } = 16;

    /// <summary>Bytes of JSON in each event (AWS allows 1 MB; S3 and SNS notifications are around 1 KB).</summary>
    public int PayloadBytes { get; init; } = 1024;

    /// <summary>Events per second of the paced phase: well below what the function can start, so the queue stays near empty.</summary>
    public double PacedRate { get; init; } = 100;

    public TimeSpan PacedDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Measured seconds of each raw SQLite commit loop.</summary>
    public TimeSpan FloorDuration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long to wait for a phase's events to reach the function before reporting the rest as not started.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(240);

    /// <summary>Lamina (and its sandboxes, which inherit its affinity) run on this taskset CPU list; the client on the others.</summary>
    public string ServerCpus { get; init; } = "1";

    public string? LaminaExecutable { get; init; }

    public bool WriteDocs { get; init; } = true;

    public const string FunctionName = "bench-async";
}
