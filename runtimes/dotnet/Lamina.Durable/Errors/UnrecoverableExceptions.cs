namespace Lamina.Durable;

#pragma warning disable CA1032 // Created by the SDK only, with the messages it needs.

/// <summary>An exception whose wire <c>ErrorType</c> is fixed (the official SDK's name for it).</summary>
internal interface IWireError
{
    string ErrorType { get; }
}

/// <summary>
/// A failure no user code can handle. Execution-scoped ones end the execution as FAILED; invocation-scoped ones
/// make the handler throw, so the service retries the invocation.
/// </summary>
public abstract class DurableUnrecoverableException : Exception, IWireError
{
    private protected DurableUnrecoverableException(string message, bool executionScoped, Exception? inner)
        : base((executionScoped ? "[Unrecoverable Execution] " : "[Unrecoverable Invocation] ") + message, inner) =>
        IsExecutionScoped = executionScoped;

    /// <summary>True: the execution fails. False: only this invocation fails and is retried.</summary>
    public bool IsExecutionScoped { get; }

    public abstract string ErrorType { get; }
}

/// <summary>Replay met an operation whose type, name or subtype differs from history at the same position.</summary>
public sealed class NonDeterministicExecutionException(string message) : DurableUnrecoverableException(message, executionScoped: true, null)
{
    public override string ErrorType => "NonDeterministicExecutionError";
}

/// <summary>The service refused a checkpoint for good (a 4xx other than a stale token or throttling): the execution fails.</summary>
public sealed class CheckpointUnrecoverableExecutionException(string message, Exception? inner)
    : DurableUnrecoverableException(message, executionScoped: true, inner)
{
    public override string ErrorType => "CheckpointUnrecoverableExecutionError";
}

/// <summary>A checkpoint failed in a way a new invocation may fix (stale token, 5xx, throttling, network): the handler throws.</summary>
public sealed class CheckpointUnrecoverableInvocationException(string message, Exception? inner)
    : DurableUnrecoverableException(message, executionScoped: false, inner)
{
    public override string ErrorType => "CheckpointUnrecoverableInvocationError";
}

/// <summary>A serializer threw: the handler throws so the invocation is retried (the official SDK's SerdesFailedError).</summary>
public sealed class SerdesFailedException(string message, Exception? inner)
    : DurableUnrecoverableException(message, executionScoped: false, inner)
{
    public override string ErrorType => "SerdesFailedError";
}

/// <summary>An SDK call was used wrongly (bad options); the execution fails.</summary>
public sealed class DurableConfigurationException(string message)
    : DurableUnrecoverableException(message, executionScoped: true, null)
{
    public override string ErrorType => "ConfigValidationError";
}
