namespace Lamina.Hosting;

/// <summary>What <c>lamina serve</c> was asked to do.</summary>
internal sealed record ServeOptions
{
    public required string DataDir { get; init; }

    /// <summary>e.g. <c>http://127.0.0.1:9600</c> or <c>https://...</c>; port 0 picks a free port (tests).</summary>
    public required string Listen { get; init; }

    /// <summary>PEM certificate (chain) for an https listener; without it (and <see cref="TlsKey"/>) one is generated in the data dir.</summary>
    public string? TlsCertificate { get; init; }

    /// <summary>PEM private key of <see cref="TlsCertificate"/>.</summary>
    public string? TlsKey { get; init; }

    public required string Region { get; init; }

    /// <summary>Write the AWS shared credentials/config files into the data dir and print the export lines.</summary>
    public bool WriteClientFiles { get; init; } = true;

    /// <summary>Scratch space for extracted code and environments; a fresh temp directory when null.</summary>
    public string? WorkDir { get; init; }

    /// <summary>Where the runtime bootstraps live; found automatically when null.</summary>
    public string? RuntimesDirectory { get; init; }

    public Core.Invoke.InvokeOptions? Invoke { get; init; }

    public Sandboxes.IsolationOptions Isolation { get; init; } = new();

    public Core.Async.AsyncOptions? Async { get; init; }

    /// <summary>Audit trail cadence and retention; defaults when null.</summary>
    public Core.Audit.AuditOptions? Audit { get; init; }
}
