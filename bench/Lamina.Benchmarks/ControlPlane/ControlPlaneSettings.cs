namespace Lamina.Benchmarks.ControlPlane;

/// <summary>One run of the control-plane benchmark; both servers get exactly these settings.</summary>
internal sealed record ControlPlaneSettings
{
    public int Functions { get; init; } = 50;

    /// <summary>Environment variables per function; Lamina keeps them sealed (AES-GCM envelope) and opens them on every read.</summary>
    public int EnvironmentVariables { get; init; }

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Long enough for tiered JIT to reach tier 1 with PGO in the server (about 1 s of hot calls).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>The measured duration is split into this many interleaved visits of every server and operation.</summary>
    public int Rounds { get; init; } = 2;

    public int Workers { get; init; } = 16;

    public int Connections { get; init; } = 16;

    public int Boto3Calls { get; init; } = 500;

    /// <summary>
    /// Servers run on this CPU list (taskset) and the client on the others, so neither server can
    /// borrow the client's core and the client never competes with the server it measures.
    /// </summary>
    public string ServerCpus { get; init; } = "1";

    public string? LaminaExecutable { get; init; }

    /// <summary>Which servers get load (echo, lamina, moto); a subset is for profiling, not for the report.</summary>
    public IReadOnlyList<string> Targets { get; init; } = ["echo", "lamina", "moto"];

    public bool WriteDocs { get; init; } = true;

    public const string Region = "us-east-1";

    /// <summary>The function GetFunction reads: the first of the created ones.</summary>
    public const string ReadFunction = "bench-fn-000";

    public const int ListPageSize = 50;
}
