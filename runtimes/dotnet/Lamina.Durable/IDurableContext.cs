using Amazon.Lambda.Core;

namespace Lamina.Durable;

/// <summary>
/// The durable operations available to a handler. Every operation is checkpointed; when the function is invoked again
/// the handler re-runs from the top and completed operations return their recorded results without running again.
/// </summary>
/// <remarks>
/// Code between operations must be deterministic: the n-th operation of a context must have the same kind and name on
/// every replay. Wrap clocks, random numbers, GUIDs and I/O in <see cref="StepAsync{T}"/>. Use the context passed to a
/// child function inside it, never the parent's. Names are optional; they show in history and must be printable
/// ASCII of at most 256 characters.
/// </remarks>
public interface IDurableContext
{
    /// <summary>The execution's ARN.</summary>
    string DurableExecutionArn { get; }

    /// <summary>A logger that stays silent while code replays, so each line is written once per execution.</summary>
    ILambdaLogger Logger { get; }

    /// <summary>The Lambda context of the current invocation, when the handler was given one.</summary>
    ILambdaContext? LambdaContext { get; }

    /// <summary>True while this context is re-running operations already in history.</summary>
    bool IsReplaying { get; }

    /// <summary>Runs <paramref name="fn"/> once (retrying per <see cref="StepConfig.RetryStrategy"/>) and records its result.</summary>
    Task<T> StepAsync<T>(string? name, Func<IStepContext, Task<T>> fn, StepConfig? config = null);

    /// <summary>A step without a result.</summary>
    Task StepAsync(string? name, Func<IStepContext, Task> fn, StepConfig? config = null);

    /// <summary>Suspends for <paramref name="duration"/> (rounded up to whole seconds; 1 s to 366 days) without holding an invocation.</summary>
    Task WaitAsync(string? name, TimeSpan duration);

    /// <summary>Creates a callback; its result is the raw string the sender posts.</summary>
    Task<DurableCallback<string>> CreateCallbackAsync(string? name, CallbackConfig? config = null);

    /// <summary>Creates a callback whose result is deserialized as JSON (or with <see cref="CallbackConfig.Serializer"/>).</summary>
    Task<DurableCallback<T>> CreateCallbackAsync<T>(string? name, CallbackConfig? config = null);

    /// <summary>
    /// Creates a callback, runs <paramref name="submitter"/> with its id as a step (hand the id to whoever will answer),
    /// and waits for the answer: the raw string the sender posted.
    /// </summary>
    Task<string> WaitForCallbackAsync(string? name, Func<string, IStepContext, Task> submitter, WaitForCallbackConfig? config = null);

    /// <summary>As <see cref="WaitForCallbackAsync(string?, Func{string, IStepContext, Task}, WaitForCallbackConfig?)"/>, JSON-deserializing the answer.</summary>
    Task<T> WaitForCallbackAsync<T>(string? name, Func<string, IStepContext, Task> submitter, WaitForCallbackConfig? config = null);

    /// <summary>Invokes another function (a qualified name or ARN for a durable target) and waits for its result.</summary>
    Task<TResult> InvokeAsync<TPayload, TResult>(string? name, string functionName, TPayload payload, InvokeConfig? config = null);

    /// <summary>Runs <paramref name="fn"/> with its own context; its result is recorded as one operation.</summary>
    Task<T> RunInChildContextAsync<T>(string? name, Func<IDurableContext, Task<T>> fn, ChildContextConfig? config = null);

    /// <summary>Runs branches concurrently, each in its own child context, until the completion policy is met.</summary>
    Task<BatchResult<T>> ParallelAsync<T>(string? name, IReadOnlyList<ParallelBranch<T>> branches, ParallelConfig? config = null);

    /// <summary>Runs <paramref name="fn"/> for every item concurrently, each in its own child context.</summary>
    Task<BatchResult<TResult>> MapAsync<TItem, TResult>(string? name, IReadOnlyList<TItem> items,
        Func<IDurableContext, TItem, int, Task<TResult>> fn, MapConfig<TItem>? config = null);

    /// <summary>
    /// Polls <paramref name="check"/> until the wait strategy says the condition holds; between polls the function is
    /// suspended. The state each check returns is recorded and handed to the next.
    /// </summary>
    Task<TState> WaitForConditionAsync<TState>(string? name, Func<TState, IStepContext, Task<TState>> check, WaitForConditionConfig<TState> config);
}

/// <summary>What a step's function gets.</summary>
public interface IStepContext
{
    /// <summary>1 for the first attempt, 2 for the first retry, …</summary>
    int Attempt { get; }

    /// <summary>The step's operation id (16 hex characters): a stable idempotency key for calls the step makes.</summary>
    string OperationId { get; }

    ILambdaLogger Logger { get; }

    /// <summary>Cancelled when the invocation ends (suspends or fails) while the step still runs.</summary>
    CancellationToken CancellationToken { get; }
}
