using Lamina.Core.Async;
using Lamina.Core.Storage;

namespace Lamina.Core.Durable;

/// <summary>Execution statuses, as the API spells them.</summary>
internal static class ExecutionStatus
{
    public const string Running = "RUNNING";
    public const string Succeeded = "SUCCEEDED";
    public const string Failed = "FAILED";
    public const string TimedOut = "TIMED_OUT";
    public const string Stopped = "STOPPED";
}

/// <summary>
/// One durable execution. Payloads are sealed with the execution's ARN as associated data, so one
/// execution's data cannot be opened as another's.
/// </summary>
internal sealed record DurableExecutionRecord
{
    public required string Arn { get; init; }
    public required string AccountId { get; init; }
    public required string FunctionName { get; init; }

    /// <summary>The version the execution runs: a number or <c>$LATEST</c> (aliases resolve at start).</summary>
    public required string Version { get; init; }

    public required string Name { get; init; }
    public required string Status { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Sealed input payload (the user's event).</summary>
    public required byte[] SealedInput { get; init; }

    /// <summary>SHA-256 of the input, to tell an idempotent re-start from a conflicting one.</summary>
    public required string InputHash { get; init; }

    /// <summary>Sealed result, or sealed ErrorObject JSON for FAILED/TIMED_OUT/STOPPED.</summary>
    public byte[]? SealedResult { get; init; }

    public byte[]? SealedError { get; init; }

    /// <summary>A result or error the function checkpointed as an EXECUTION update, applied when its invocation ends.</summary>
    public byte[]? SealedPendingOutcome { get; init; }

    public required long ExecutionTimeoutSeconds { get; init; }
    public required int RetentionDays { get; init; }
    public string? TraceId { get; init; }

    /// <summary>Optimistic concurrency: every commit must name the version it read.</summary>
    public long RowVersion { get; init; }

    /// <summary>The current invocation's current checkpoint token; null when no invocation runs.</summary>
    public string? Token { get; init; }

    /// <summary>The queue event whose invocation is running (a crash leaves it set; the redelivered event sees its own id).</summary>
    public string? InvocationEventId { get; init; }

    public string? InvocationRequestId { get; init; }
    public DateTimeOffset? InvocationStartedAt { get; init; }

    /// <summary>A resume event is in the queue (set and cleared in the same transactions that add and take it).</summary>
    public bool ResumeQueued { get; init; }

    /// <summary>Counts operation changes; <see cref="SeenSeq"/> is how far the running invocation has seen them.</summary>
    public long ChangeSeq { get; init; }

    public long SeenSeq { get; init; }

    /// <summary>Start order of operations (state pages and the replay envelope follow it).</summary>
    public long NextOpSeq { get; init; }

    public long NextEventId { get; init; } = 1;
    public int ConsecutiveFailures { get; init; }

    /// <summary>When a closed execution's records may be purged.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>For an execution started by a chained invoke: the parent execution and its CHAINED_INVOKE operation.</summary>
    public string? ParentArn { get; init; }

    public string? ParentOperationId { get; init; }

    public bool IsClosed => Status != ExecutionStatus.Running;

    /// <summary><c>arn:...:function:NAME:VERSION</c>.</summary>
    public string FunctionArn => Arn[..Arn.IndexOf("/durable-execution/", StringComparison.Ordinal)];

    public string PayloadContext(string purpose) => Context(Arn, purpose);

    /// <summary>The associated data of an execution payload: what it is for and whose it is.</summary>
    public static string Context(string arn, string purpose) => $"durable:{purpose}:{arn}";
}

/// <summary>One operation of an execution, as the API shows it, with its type's details object.</summary>
internal sealed record DurableOperationRecord
{
    public required string Id { get; init; }
    public string? ParentId { get; init; }
    public required string Type { get; init; }
    public string? SubType { get; init; }
    public string? Name { get; init; }
    public required string Status { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Start order within the execution.</summary>
    public required long Seq { get; init; }

    /// <summary>The execution's change counter when this operation last changed.</summary>
    public required long ChangeSeq { get; init; }

    /// <summary>
    /// The type's details object (StepDetails, WaitDetails, ...) with Lamina's private fields, as JSON sealed
    /// with the execution ARN and operation id as associated data.
    /// </summary>
    public required byte[] SealedDetails { get; init; }

    /// <summary>CALLBACK operations: the id callers complete it with.</summary>
    public string? CallbackId { get; init; }
}

/// <summary>One history event: the API's Event object as sealed JSON.</summary>
internal sealed record DurableHistoryRecord(long EventId, DateTimeOffset At, byte[] SealedEvent);

/// <summary>A checkpoint response kept for ClientToken replay.</summary>
internal sealed record CachedCheckpoint(string ClientToken, DateTimeOffset At, byte[] SealedResponse);

/// <summary>
/// Everything one durable state change writes, in one transaction: the execution (conditional on the
/// row version it was read at), changed operations, new history events, queue events (timers and
/// wake-ups) and the checkpoint response for ClientToken replay.
/// </summary>
internal sealed record DurableCommit
{
    public required DurableExecutionRecord Execution { get; init; }

    /// <summary>The row version read; null inserts a new execution (refused if the name is taken for the function).</summary>
    public long? ExpectedRowVersion { get; init; }

    public IReadOnlyList<DurableOperationRecord> Operations { get; init; } = [];
    public IReadOnlyList<DurableHistoryRecord> Events { get; init; } = [];
    public IReadOnlyList<AsyncEvent> Enqueue { get; init; } = [];
    public CachedCheckpoint? Checkpoint { get; init; }

    /// <summary>A claimed queue event this change finishes (removed only while <see cref="CompleteNode"/> still holds it).</summary>
    public string? CompleteEventId { get; init; }

    public string? CompleteNode { get; init; }
}

/// <summary>Filters of ListDurableExecutionsByFunction.</summary>
internal sealed record ExecutionQuery
{
    public required string AccountId { get; init; }
    public required string FunctionName { get; init; }
    public string? Version { get; init; }
    public string? Name { get; init; }
    public IReadOnlyCollection<string>? Statuses { get; init; }
    public DateTimeOffset? StartedAfter { get; init; }
    public DateTimeOffset? StartedBefore { get; init; }
    public bool Reverse { get; init; }

    /// <summary>Continue after this (start time ms, arn) position.</summary>
    public (long StartedAtMs, string Arn)? After { get; init; }

    public int Limit { get; init; } = 100;
}

internal interface IDurableStore
{
    Task<DurableExecutionRecord?> GetExecutionAsync(string arn, CancellationToken cancellationToken);

    /// <summary>The newest execution of a function with that name (names are unique per function while retained).</summary>
    Task<DurableExecutionRecord?> FindByNameAsync(string accountId, string functionName, string name, CancellationToken cancellationToken);

    Task<IReadOnlyList<DurableExecutionRecord>> ListExecutionsAsync(ExecutionQuery query, CancellationToken cancellationToken);

    Task<IReadOnlyList<DurableOperationRecord>> GetOperationsAsync(string arn, IReadOnlyCollection<string> ids, CancellationToken cancellationToken);

    /// <summary>Every operation of an execution in start order.</summary>
    Task<IReadOnlyList<DurableOperationRecord>> ListOperationsAsync(string arn, CancellationToken cancellationToken);

    /// <summary>Operations changed after <paramref name="afterChangeSeq"/>, in start order.</summary>
    Task<IReadOnlyList<DurableOperationRecord>> ListChangedOperationsAsync(string arn, long afterChangeSeq, CancellationToken cancellationToken);

    /// <summary>(execution ARN, operation id) of a callback.</summary>
    Task<(string Arn, string OperationId)?> FindCallbackAsync(string callbackId, CancellationToken cancellationToken);

    Task<IReadOnlyList<DurableHistoryRecord>> ListHistoryAsync(string arn, long? afterEventId, int limit, bool reverse, CancellationToken cancellationToken);

    Task<CachedCheckpoint?> GetCheckpointAsync(string arn, string clientToken, CancellationToken cancellationToken);

    /// <summary>Writes a <see cref="DurableCommit"/> atomically; <see cref="WriteStatus.RevisionMismatch"/> when the execution changed since it was read.</summary>
    Task<WriteStatus> CommitAsync(DurableCommit commit, CancellationToken cancellationToken);

    /// <summary>Deletes closed executions whose retention ended, and checkpoint replays older than <paramref name="checkpointsBefore"/>.</summary>
    Task<int> PurgeAsync(DateTimeOffset now, DateTimeOffset checkpointsBefore, int limit, CancellationToken cancellationToken);
}
