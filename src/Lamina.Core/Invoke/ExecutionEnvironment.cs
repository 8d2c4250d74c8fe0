using Lamina.Core.Api.Lambda;

namespace Lamina.Core.Invoke;

/// <summary>Everything needed to start an environment of one function version.</summary>
internal sealed record EnvironmentSpec
{
    public required VersionKey Key { get; init; }

    /// <summary>The version's configuration (runtime, handler, memory, timeout, logging, ephemeral storage).</summary>
    public required FunctionConfiguration Config { get; init; }

    /// <summary>The unqualified function ARN.</summary>
    public required string FunctionArn { get; init; }

    public required string CodeBlobId { get; init; }

    public required IReadOnlyList<string> LayerBlobIds { get; init; }

    public required string Region { get; init; }

    /// <summary>Environment variables as sealed at rest; opened only when an environment is created.</summary>
    public byte[]? SealedEnvironment { get; init; }

    /// <summary>The opened variables, set (in memory only) on the spec a cold start hands to the factory.</summary>
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();

    public TimeSpan Timeout => TimeSpan.FromSeconds(Config.Timeout);

    public int MemoryMb => Config.MemorySize;
}

/// <summary>
/// One execution environment: a sandbox running the function's runtime, dedicated to one function
/// version, serving one invocation at a time. Created by an <see cref="IEnvironmentFactory"/>, owned
/// by that version's <see cref="EnvironmentPool"/>.
/// </summary>
internal interface IExecutionEnvironment
{
    string Id { get; }

    VersionKey Key { get; }

    /// <summary>Kept warm by a provisioned-concurrency config (never reclaimed for idleness).</summary>
    bool Provisioned { get; }

    DateTimeOffset CreatedAt { get; }

    DateTimeOffset LastUsedAt { get; }

    /// <summary>False once the environment cannot serve again (init failure, shut down).</summary>
    bool IsUsable { get; }

    /// <summary>
    /// Starts the sandbox and runs Init (extensions, runtime, function) within <paramref name="limit"/>.
    /// Null when the environment is ready; otherwise the error result to return for the invocation.
    /// </summary>
    Task<InvocationResult?> InitAsync(TimeSpan limit, CancellationToken cancellationToken);

    /// <summary>
    /// Runs one invocation to its end (result, function error, timeout, crash). A timeout or crash
    /// resets the environment: its processes are killed, /tmp is kept, and the next invoke re-inits.
    /// </summary>
    Task<InvocationResult> InvokeAsync(Invocation invocation, CancellationToken cancellationToken);

    /// <summary>Runs the Shutdown phase (extensions get SHUTDOWN) and destroys the sandbox and its /tmp.</summary>
    ValueTask ShutdownAsync(string reason);
}

/// <summary>Opens a version's environment variables for a cold start: the only time they are decrypted.</summary>
internal interface IEnvironmentSecrets
{
    /// <summary>The variables, or the error the invoke fails with (Lambda's 502 KMS*Exception).</summary>
    Task<Errors.Outcome<IReadOnlyDictionary<string, string>>> OpenAsync(EnvironmentSpec spec, CancellationToken cancellationToken);
}

/// <summary>Creates environments (the sandbox supervisor).</summary>
internal interface IEnvironmentFactory
{
    /// <param name="initializationType"><c>on-demand</c> or <c>provisioned-concurrency</c>.</param>
    IExecutionEnvironment Create(EnvironmentSpec spec, string initializationType);
}
