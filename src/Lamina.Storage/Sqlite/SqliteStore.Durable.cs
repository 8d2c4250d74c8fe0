using Lamina.Core.Durable;
using Lamina.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Lamina.Storage.Sqlite;

internal sealed partial class SqliteStore : IDurableStore
{
    public IDurableStore Durable => this;

    private const string ExecutionColumns =
        "arn, account_id, function_name, version, name, status, started_at, ended_at, input, input_hash, result, error, pending_outcome, " +
        "execution_timeout, retention_days, trace_id, row_version, token, invocation_event_id, invocation_request_id, invocation_started_at, " +
        "resume_queued, change_seq, seen_seq, next_op_seq, next_event_id, consecutive_failures, expires_at, parent_arn, parent_operation_id";

    private const string OperationColumns =
        "id, parent_id, type, sub_type, name, status, started_at, ended_at, seq, change_seq, details, callback_id";

    private static DateTimeOffset? Time(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));

    private static string? Text(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static byte[]? Bytes(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : (byte[])r.GetValue(i);

    private static DurableExecutionRecord MapExecution(SqliteDataReader r) => new()
    {
        Arn = r.GetString(0),
        AccountId = r.GetString(1),
        FunctionName = r.GetString(2),
        Version = r.GetString(3),
        Name = r.GetString(4),
        Status = r.GetString(5),
        StartedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)),
        EndedAt = Time(r, 7),
        SealedInput = (byte[])r.GetValue(8),
        InputHash = r.GetString(9),
        SealedResult = Bytes(r, 10),
        SealedError = Bytes(r, 11),
        SealedPendingOutcome = Bytes(r, 12),
        ExecutionTimeoutSeconds = r.GetInt64(13),
        RetentionDays = r.GetInt32(14),
        TraceId = Text(r, 15),
        RowVersion = r.GetInt64(16),
        Token = Text(r, 17),
        InvocationEventId = Text(r, 18),
        InvocationRequestId = Text(r, 19),
        InvocationStartedAt = Time(r, 20),
        ResumeQueued = r.GetInt64(21) != 0,
        ChangeSeq = r.GetInt64(22),
        SeenSeq = r.GetInt64(23),
        NextOpSeq = r.GetInt64(24),
        NextEventId = r.GetInt64(25),
        ConsecutiveFailures = r.GetInt32(26),
        ExpiresAt = Time(r, 27),
        ParentArn = Text(r, 28),
        ParentOperationId = Text(r, 29),
    };

    private static DurableOperationRecord MapOperation(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        ParentId = Text(r, 1),
        Type = r.GetString(2),
        SubType = Text(r, 3),
        Name = Text(r, 4),
        Status = r.GetString(5),
        StartedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)),
        EndedAt = Time(r, 7),
        Seq = r.GetInt64(8),
        ChangeSeq = r.GetInt64(9),
        SealedDetails = (byte[])r.GetValue(10),
        CallbackId = Text(r, 11),
    };

    public Task<DurableExecutionRecord?> GetExecutionAsync(string arn, CancellationToken cancellationToken) =>
        ReadOneAsync($"SELECT {ExecutionColumns} FROM durable_executions WHERE arn = $arn", MapExecution, cancellationToken, ("$arn", arn));

    public Task<DurableExecutionRecord?> FindByNameAsync(string accountId, string functionName, string name, CancellationToken cancellationToken) =>
        ReadOneAsync($"SELECT {ExecutionColumns} FROM durable_executions WHERE account_id = $a AND function_name = $f AND name = $n",
            MapExecution, cancellationToken, ("$a", accountId), ("$f", functionName), ("$n", name));

    public async Task<IReadOnlyList<DurableExecutionRecord>> ListExecutionsAsync(ExecutionQuery q, CancellationToken cancellationToken)
    {
        var sql = new System.Text.StringBuilder($"SELECT {ExecutionColumns} FROM durable_executions WHERE account_id = $a AND function_name = $f");
        var parameters = new List<(string, object?)> { ("$a", q.AccountId), ("$f", q.FunctionName) };
        if (q.Version is not null)
        {
            sql.Append(" AND version = $v");
            parameters.Add(("$v", q.Version));
        }

        if (q.Name is not null)
        {
            sql.Append(" AND name = $n");
            parameters.Add(("$n", q.Name));
        }

        if (q.Statuses is { Count: > 0 } statuses)
        {
            sql.Append(" AND status IN (").AppendJoin(", ", statuses.Select((_, i) => $"$s{i}")).Append(')');
            parameters.AddRange(statuses.Select((s, i) => ($"$s{i}", (object?)s)));
        }

        if (q.StartedAfter is { } after)
        {
            sql.Append(" AND started_at > $sa");
            parameters.Add(("$sa", after.ToUnixTimeMilliseconds()));
        }

        if (q.StartedBefore is { } before)
        {
            sql.Append(" AND started_at < $sb");
            parameters.Add(("$sb", before.ToUnixTimeMilliseconds()));
        }

        if (q.After is { } position)
        {
            sql.Append(q.Reverse ? " AND (started_at, arn) < ($pt, $pa)" : " AND (started_at, arn) > ($pt, $pa)");
            parameters.Add(("$pt", position.StartedAtMs));
            parameters.Add(("$pa", position.Arn));
        }

        sql.Append(q.Reverse ? " ORDER BY started_at DESC, arn DESC" : " ORDER BY started_at, arn").Append(" LIMIT $limit");
        parameters.Add(("$limit", q.Limit));
        return await ReadAsync(sql.ToString(), MapExecution, cancellationToken, [.. parameters]);
    }

    public async Task<IReadOnlyList<DurableOperationRecord>> GetOperationsAsync(string arn, IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return [];
        }

        var names = ids.Select((_, i) => $"$i{i}").ToList();
        var parameters = new List<(string, object?)> { ("$arn", arn) };
        parameters.AddRange(ids.Select((id, i) => ($"$i{i}", (object?)id)));
        return await ReadAsync($"SELECT {OperationColumns} FROM durable_operations WHERE arn = $arn AND id IN ({string.Join(", ", names)})",
            MapOperation, cancellationToken, [.. parameters]);
    }

    public async Task<IReadOnlyList<DurableOperationRecord>> ListOperationsAsync(string arn, CancellationToken cancellationToken) =>
        await ReadAsync($"SELECT {OperationColumns} FROM durable_operations WHERE arn = $arn ORDER BY seq", MapOperation, cancellationToken, ("$arn", arn));

    public async Task<IReadOnlyList<DurableOperationRecord>> ListChangedOperationsAsync(string arn, long afterChangeSeq, CancellationToken cancellationToken) =>
        await ReadAsync($"SELECT {OperationColumns} FROM durable_operations WHERE arn = $arn AND change_seq > $c ORDER BY seq",
            MapOperation, cancellationToken, ("$arn", arn), ("$c", afterChangeSeq));

    public async Task<(string Arn, string OperationId)?> FindCallbackAsync(string callbackId, CancellationToken cancellationToken)
    {
        var rows = await ReadAsync("SELECT arn, id FROM durable_operations WHERE callback_id = $c", r => (r.GetString(0), r.GetString(1)),
            cancellationToken, ("$c", callbackId));
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<IReadOnlyList<DurableHistoryRecord>> ListHistoryAsync(string arn, long? afterEventId, int limit, bool reverse,
        CancellationToken cancellationToken)
    {
        var where = afterEventId is null ? "" : reverse ? " AND event_id < $after" : " AND event_id > $after";
        return await ReadAsync(
            $"SELECT event_id, at, event FROM durable_history WHERE arn = $arn{where} ORDER BY event_id {(reverse ? "DESC" : "ASC")} LIMIT $limit",
            r => new DurableHistoryRecord(r.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), (byte[])r.GetValue(2)),
            cancellationToken, ("$arn", arn), ("$after", afterEventId ?? 0), ("$limit", limit));
    }

    public Task<CachedCheckpoint?> GetCheckpointAsync(string arn, string clientToken, CancellationToken cancellationToken) =>
        ReadOneAsync("SELECT client_token, at, response FROM durable_checkpoints WHERE arn = $arn AND client_token = $t",
            r => new CachedCheckpoint(r.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), (byte[])r.GetValue(2)),
            cancellationToken, ("$arn", arn), ("$t", clientToken));

    /// <summary>
    /// Commits one change of one execution. Concurrent commits (of any executions) share one fsync'd
    /// transaction: the first caller to find no commit running writes every waiting change, each in its
    /// own savepoint, so a refused or failed change leaves the others intact, and answers each after the
    /// shared COMMIT. Alone, a caller writes its own change at once, as a plain transaction would.
    /// </summary>
    /// <remarks>
    /// With one commit per fsync, 64 executions checkpointing together were held to one fsync each (about 7 ms
    /// on the benchmark machine, docs/benchmarks.md); a shared commit lets them progress at CPU speed.
    /// </remarks>
    public async Task<WriteStatus> CommitAsync(DurableCommit commit, CancellationToken cancellationToken)
    {
        var pending = new PendingDurableCommit(commit);
        _durableCommits.Enqueue(pending);

        // Leader election without a lock: whoever flips the flag writes the queue until it is empty. The
        // Interlocked release is a full fence, so a change queued while a leader was finishing is either
        // taken by that leader's re-check here or finds the flag clear and leads itself.
        while (!_durableCommits.IsEmpty && Interlocked.CompareExchange(ref _durableCommitLeader, 1, 0) == 0)
        {
            try
            {
                await DrainDurableCommitsAsync();
            }
            finally
            {
                Interlocked.Exchange(ref _durableCommitLeader, 0);
            }
        }

        // Not cancellable once queued: the caller learns whether its change landed.
        return await pending.Done.Task;
    }

    private sealed class PendingDurableCommit(DurableCommit commit)
    {
        public DurableCommit Commit { get; } = commit;

        public TaskCompletionSource<WriteStatus> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public WriteStatus? Status { get; set; }

        public Exception? Error { get; set; }
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<PendingDurableCommit> _durableCommits = new();

    private int _durableCommitLeader;

    /// <summary>Most changes per shared transaction: bounds how long the first of them waits for the fsync.</summary>
    private const int MaxDurableCommitsPerTransaction = 64;

    private async Task DrainDurableCommitsAsync()
    {
        var batch = new List<PendingDurableCommit>(MaxDurableCommitsPerTransaction);
        while (true)
        {
            batch.Clear();
            while (batch.Count < MaxDurableCommitsPerTransaction && _durableCommits.TryDequeue(out var next))
            {
                batch.Add(next);
            }

            if (batch.Count == 0)
            {
                return;
            }

            try
            {
                // Committed changes are state other requests already act on: no caller's cancellation stops the write.
                await WriteDurableBatchAsync(batch);
            }
            catch (Exception ex)
            {
                // Nothing of the batch committed; every caller sees the failure (none may be left waiting).
                foreach (var item in batch)
                {
                    item.Done.TrySetException(ex);
                }

                continue;
            }

            foreach (var item in batch)
            {
                if (item.Error is not null)
                {
                    item.Done.TrySetException(item.Error);
                }
                else
                {
                    item.Done.TrySetResult(item.Status!.Value);
                }
            }
        }
    }

    public Task<int> PurgeAsync(DateTimeOffset now, DateTimeOffset checkpointsBefore, int limit, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            await Execute(c, tx, "DELETE FROM durable_checkpoints WHERE at < $t", cancellationToken, ("$t", checkpointsBefore.ToUnixTimeMilliseconds()));
            var n = await Execute(c, tx,
                "DELETE FROM durable_executions WHERE arn IN (SELECT arn FROM durable_executions WHERE expires_at IS NOT NULL AND expires_at < $now LIMIT $limit)",
                cancellationToken, ("$now", now.ToUnixTimeMilliseconds()), ("$limit", limit));
            return (n, true);
        }, cancellationToken);
}
