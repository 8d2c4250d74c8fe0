using Lamina.Core.Async;
using Microsoft.Data.Sqlite;

namespace Lamina.Storage.Sqlite;

internal sealed partial class SqliteStore : IAsyncQueueStore
{
    public IAsyncQueueStore Queue => this;

    private GroupCommitter<AsyncEvent>? _enqueueCommitter;

    // Group commit: concurrent enqueues share one fsync'd transaction. Bounded so a flood waits instead of
    // growing memory; 4,096 pending events is a few MB of payload references.
    private GroupCommitter<AsyncEvent> EnqueueCommitter =>
        LazyInitializer.EnsureInitialized(ref _enqueueCommitter, () => new GroupCommitter<AsyncEvent>(CommitEnqueuesAsync, 4096, 512));

    private const string EventColumns =
        "id, kind, account_id, function_name, qualifier, payload, enqueued_at, visible_at, attempts, throttle_attempts, client_context, execution_arn";

    private static AsyncEvent MapEvent(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Kind = Enum.Parse<AsyncEventKind>(r.GetString(1)),
        AccountId = r.GetString(2),
        FunctionName = r.GetString(3),
        Qualifier = r.IsDBNull(4) ? null : r.GetString(4),
        SealedPayload = (byte[])r.GetValue(5),
        EnqueuedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)),
        VisibleAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)),
        Attempts = r.GetInt32(8),
        ThrottleAttempts = r.GetInt32(9),
        ClientContext = r.IsDBNull(10) ? null : r.GetString(10),
        ExecutionArn = r.IsDBNull(11) ? null : r.GetString(11),
    };

    public Task EnqueueAsync(AsyncEvent @event, CancellationToken cancellationToken) => EnqueueCommitter.SubmitAsync(@event, cancellationToken);

    /// <summary>Writes every waiting enqueue (up to 512) in one transaction, committed once; <see cref="GroupCommitter{T}"/> acknowledges them.</summary>
    private async Task CommitEnqueuesAsync(IReadOnlyList<AsyncEvent> batch) =>
        await WriteAsync(async (c, tx) =>
        {
            await using var cmd = Command(c, tx,
                $"INSERT INTO async_events ({EventColumns}, claimed_by, claimed_until) " +
                "VALUES ($id, $kind, $a, $f, $q, $p, $e, $v, $att, $thr, $cc, $x, NULL, NULL) ON CONFLICT (id) DO NOTHING",
                ("$id", ""), ("$kind", ""), ("$a", ""), ("$f", ""), ("$q", null), ("$p", Array.Empty<byte>()), ("$e", 0L), ("$v", 0L),
                ("$att", 0), ("$thr", 0), ("$cc", null), ("$x", null));
            foreach (var e in batch)
            {
                cmd.Parameters["$id"].Value = e.Id;
                cmd.Parameters["$kind"].Value = e.Kind.ToString();
                cmd.Parameters["$a"].Value = e.AccountId;
                cmd.Parameters["$f"].Value = e.FunctionName;
                cmd.Parameters["$q"].Value = (object?)e.Qualifier ?? DBNull.Value;
                cmd.Parameters["$p"].Value = e.SealedPayload;
                cmd.Parameters["$e"].Value = e.EnqueuedAt.ToUnixTimeMilliseconds();
                cmd.Parameters["$v"].Value = e.VisibleAt.ToUnixTimeMilliseconds();
                cmd.Parameters["$att"].Value = e.Attempts;
                cmd.Parameters["$thr"].Value = e.ThrottleAttempts;
                cmd.Parameters["$cc"].Value = (object?)e.ClientContext ?? DBNull.Value;
                cmd.Parameters["$x"].Value = (object?)e.ExecutionArn ?? DBNull.Value;
                await cmd.ExecuteNonQueryAsync(CancellationToken.None);
            }

            return (true, true);
        }, CancellationToken.None);

    public Task<IReadOnlyList<AsyncEvent>> ClaimAsync(string node, DateTimeOffset now, int limit, int perFunction, TimeSpan lease,
        CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<AsyncEvent>>(async (c, tx) =>
        {
            var nowMs = now.ToUnixTimeMilliseconds();
            var claimed = await Query(c, tx,
                $"UPDATE async_events SET claimed_by = $node, claimed_until = $until WHERE id IN (" +
                "  SELECT id FROM (SELECT id, visible_at, ROW_NUMBER() OVER (PARTITION BY account_id, function_name ORDER BY visible_at) AS rn " +
                "                  FROM async_events WHERE visible_at <= $now AND (claimed_until IS NULL OR claimed_until < $now))" +
                "  WHERE rn <= $per ORDER BY rn, visible_at LIMIT $limit) " +
                $"RETURNING {EventColumns}",
                MapEvent, cancellationToken, ("$node", node), ("$until", nowMs + (long)lease.TotalMilliseconds), ("$now", nowMs),
                ("$per", perFunction), ("$limit", limit));
            return (claimed, claimed.Count > 0);
        }, cancellationToken);

    public Task<bool> CompleteAsync(string id, string node, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var n = await Execute(c, tx, "DELETE FROM async_events WHERE id = $id AND claimed_by = $node", cancellationToken, ("$id", id), ("$node", node));
            return (n > 0, n > 0);
        }, cancellationToken);

    public Task<bool> RescheduleAsync(string id, string node, DateTimeOffset visibleAt, int attempts, int throttleAttempts, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var n = await Execute(c, tx,
                "UPDATE async_events SET visible_at = $v, attempts = $a, throttle_attempts = $t, claimed_by = NULL, claimed_until = NULL " +
                "WHERE id = $id AND claimed_by = $node",
                cancellationToken, ("$id", id), ("$node", node), ("$v", visibleAt.ToUnixTimeMilliseconds()), ("$a", attempts), ("$t", throttleAttempts));
            return (n > 0, n > 0);
        }, cancellationToken);

    public Task<int> ReleaseForeignClaimsAsync(string node, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var n = await Execute(c, tx, "UPDATE async_events SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by IS NOT NULL AND claimed_by <> $node",
                cancellationToken, ("$node", node));
            return (n, true);
        }, cancellationToken);

    public async Task<long> CountAsync(CancellationToken cancellationToken) =>
        (await ReadAsync("SELECT COUNT(*) FROM async_events", r => r.GetInt64(0), cancellationToken))[0];

    public async Task<DateTimeOffset?> NextVisibleAsync(CancellationToken cancellationToken)
    {
        var next = await ReadAsync("SELECT MIN(visible_at) FROM async_events WHERE claimed_by IS NULL",
            r => r.IsDBNull(0) ? (long?)null : r.GetInt64(0), cancellationToken);
        return next[0] is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }
}
