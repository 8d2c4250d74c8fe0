namespace Lamina.Durable;

/// <summary>Why an invocation stopped before its handler returned.</summary>
internal enum TerminationReason
{
    OperationTerminated,
    RetryScheduled,
    RetryInterruptedStep,
    WaitScheduled,
    CallbackPending,
    CheckpointFailed,
    SerdesFailed,
    ContextValidationError,
    ConfigValidationError,
    NonDeterminism,
}

internal sealed record TerminationResult(TerminationReason Reason, string Message, Exception? Error)
{
    /// <summary>Suspensions end the invocation as PENDING; the rest are faults.</summary>
    public bool IsSuspension => Reason is TerminationReason.OperationTerminated or TerminationReason.RetryScheduled
        or TerminationReason.RetryInterruptedStep or TerminationReason.WaitScheduled or TerminationReason.CallbackPending;
}

/// <summary>Ends the invocation once: the first reason wins, and the checkpoint queue stops accepting work.</summary>
internal sealed class TerminationManager : IDisposable
{
    private readonly TaskCompletionSource<TerminationResult> _terminated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _cancellation = new();
    private Action? _onTerminate;

    public Task<TerminationResult> Terminated => _terminated.Task;

    public bool IsTerminated => _terminated.Task.IsCompleted;

    /// <summary>Cancelled at termination: steps see it through their step context.</summary>
    public CancellationToken Token => _cancellation.Token;

    public void OnTerminate(Action action) => _onTerminate = action;

    public void Terminate(TerminationReason reason, string? message = null, Exception? error = null)
    {
        if (!_terminated.TrySetResult(new TerminationResult(reason, message ?? error?.Message ?? "Operation terminated", error)))
        {
            return;
        }

        _onTerminate?.Invoke();
        try
        {
            _cancellation.Cancel();
        }
        catch (AggregateException)
        {
            // A step's cancellation callback threw; the invocation is ending either way.
        }
    }

    public void Dispose() => _cancellation.Dispose();
}
