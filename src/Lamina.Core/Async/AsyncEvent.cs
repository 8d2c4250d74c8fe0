namespace Lamina.Core.Async;

/// <summary>What a queued event asks for.</summary>
internal enum AsyncEventKind
{
    /// <summary>An Invoke with InvocationType Event (or InvokeAsync).</summary>
    Invoke,

    /// <summary>A durable execution's next invocation (start, or resume after a wait, callback or retry).</summary>
    DurableResume,

    /// <summary>A durable timer: a wait's end, a step retry, a callback timeout or heartbeat, the execution timeout.</summary>
    DurableTimer,

    /// <summary>A durable execution's chained invoke of another function.</summary>
    DurableChainedInvoke,

    /// <summary>A durable execution started by a chained invoke closed: tell its parent.</summary>
    DurableChildClosed,
}

/// <summary>
/// One queued event, durable in the store before its 202 is sent. The payload is sealed at rest; the
/// request id stays the same across every retry, as AWS keeps it.
/// </summary>
internal sealed record AsyncEvent
{
    public required string Id { get; init; }
    public required AsyncEventKind Kind { get; init; }
    public required string AccountId { get; init; }
    public required string FunctionName { get; init; }

    /// <summary>The qualifier the caller invoked (null: unqualified).</summary>
    public string? Qualifier { get; init; }

    /// <summary>Sealed payload (see <see cref="PayloadContext"/>).</summary>
    public required byte[] SealedPayload { get; init; }

    public required DateTimeOffset EnqueuedAt { get; init; }
    public required DateTimeOffset VisibleAt { get; init; }

    /// <summary>Attempts that ended in a function error.</summary>
    public int Attempts { get; init; }

    /// <summary>Attempts refused for capacity (throttles, platform errors); they back off and do not count as retries.</summary>
    public int ThrottleAttempts { get; init; }

    /// <summary>The base64 client context of the original Invoke, if any.</summary>
    public string? ClientContext { get; init; }

    /// <summary>For durable resumes: the execution ARN.</summary>
    public string? ExecutionArn { get; init; }

    public static string PayloadContext(string accountId, string id) => $"async-event:{accountId}:{id}";
}
