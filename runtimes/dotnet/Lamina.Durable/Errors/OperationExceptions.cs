namespace Lamina.Durable;

// The concrete operation failures, named after the official SDK's error classes on the wire. Kept in one file:
// each only fixes its wire name.
#pragma warning disable CA1032 // The constructors that matter are the ones the SDK calls; the rest would be noise.

/// <summary>A step failed after its retries, or was interrupted and not retried.</summary>
public sealed class StepException(string message, string? recordedErrorType = null, string? errorData = null, Exception? inner = null)
    : DurableOperationException(message, recordedErrorType, errorData, inner)
{
    public override string ErrorType => "StepError";
}

/// <summary>A callback failed; see the subclasses for the reason.</summary>
public class CallbackException(string message, string? recordedErrorType = null, string? errorData = null, Exception? inner = null)
    : DurableOperationException(message, recordedErrorType, errorData, inner)
{
    public override string ErrorType => "CallbackError";
}

/// <summary>The callback's recipient reported a failure (SendDurableExecutionCallbackFailure).</summary>
public sealed class CallbackFailedException(string message, string? recordedErrorType = null, string? errorData = null)
    : CallbackException(message, recordedErrorType, errorData)
{
    public override string ErrorType => "CallbackExternalError";
}

/// <summary>The callback's timeout or heartbeat timeout lapsed.</summary>
public sealed class CallbackTimeoutException(string message, string? recordedErrorType = null, string? errorData = null)
    : CallbackException(message, recordedErrorType, errorData)
{
    public override string ErrorType => "CallbackTimeoutError";
}

/// <summary>The submitter of <c>WaitForCallbackAsync</c> failed after its retries.</summary>
public sealed class CallbackSubmitterException(string message, string? recordedErrorType = null, string? errorData = null, Exception? inner = null)
    : CallbackException(message, recordedErrorType, errorData, inner)
{
    public override string ErrorType => "CallbackSubmitterError";
}

/// <summary>A chained invoke failed, timed out or was stopped.</summary>
public sealed class InvokeException(string message, string? recordedErrorType = null, string? errorData = null)
    : DurableOperationException(message, recordedErrorType, errorData)
{
    public override string ErrorType => "InvokeError";
}

/// <summary>A child context (or a parallel branch or map item) failed.</summary>
public sealed class ChildContextException(string message, string? recordedErrorType = null, string? errorData = null, Exception? inner = null)
    : DurableOperationException(message, recordedErrorType, errorData, inner)
{
    public override string ErrorType => "ChildContextError";
}

/// <summary><c>WaitForConditionAsync</c> failed: its check threw, or its wait strategy gave up.</summary>
public sealed class WaitForConditionException(string message, string? recordedErrorType = null, string? errorData = null)
    : DurableOperationException(message, recordedErrorType, errorData)
{
    public override string ErrorType => "WaitForConditionError";
}

/// <summary>A parallel or map batch ended as failed without an item error to report.</summary>
public sealed class BatchCompletionException(string message, string? recordedErrorType = null, string? errorData = null)
    : DurableOperationException(message, recordedErrorType, errorData)
{
    public override string ErrorType => "BatchCompletionError";
}

/// <summary>
/// Passed to a retry strategy when an at-most-once step is found started but unfinished on replay: it may or may
/// not have run, so the SDK does not run it again unless the strategy says so.
/// </summary>
public sealed class StepInterruptedException()
    : Exception("The step execution process was initiated but failed to reach completion due to an interruption."), IWireError
{
    public string ErrorType => "StepInterruptedError";
}
