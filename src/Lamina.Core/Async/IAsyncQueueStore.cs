namespace Lamina.Core.Async;

/// <summary>
/// The event queue in the store: the same machinery serves asynchronous invokes and durable executions'
/// next invocations. Claims are leases (<c>claimed_by</c>, <c>claimed_until</c>), so a crashed poller's
/// events become visible again and are processed at least once.
/// </summary>
internal interface IAsyncQueueStore
{
    /// <summary>Commits events durably (fsync'd) and returns only then; concurrent callers share one commit.</summary>
    Task EnqueueAsync(AsyncEvent @event, CancellationToken cancellationToken);

    /// <summary>
    /// Claims up to <paramref name="limit"/> due events, at most <paramref name="perFunction"/> of any one
    /// function, oldest first, so one function's backlog cannot starve another's.
    /// </summary>
    Task<IReadOnlyList<AsyncEvent>> ClaimAsync(string node, DateTimeOffset now, int limit, int perFunction, TimeSpan lease,
        CancellationToken cancellationToken);

    /// <summary>Removes a processed event (only while this node still holds its claim).</summary>
    Task<bool> CompleteAsync(string id, string node, CancellationToken cancellationToken);

    /// <summary>Puts an event back for a later attempt and releases the claim.</summary>
    Task<bool> RescheduleAsync(string id, string node, DateTimeOffset visibleAt, int attempts, int throttleAttempts, CancellationToken cancellationToken);

    /// <summary>Releases claims held by nodes other than <paramref name="node"/> (single-node restart after a crash).</summary>
    Task<int> ReleaseForeignClaimsAsync(string node, CancellationToken cancellationToken);

    Task<long> CountAsync(CancellationToken cancellationToken);

    /// <summary>The time of the next event that is not yet due (to sleep until then), or null.</summary>
    Task<DateTimeOffset?> NextVisibleAsync(CancellationToken cancellationToken);
}
