using Lamina.Core.Async;
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
                await WriteAsync(async (c, tx) =>
                {
                    for (var i = 0; i < batch.Count; i++)
                    {
                        var item = batch[i];
                        await Execute(c, tx, $"SAVEPOINT d{i}", CancellationToken.None);
                        try
                        {
                            item.Status = await CommitOneAsync(c, tx, item.Commit, CancellationToken.None);
                        }
                        catch (SqliteException ex)
                        {
                            item.Error = ex;
                        }

                        // A refused change wrote nothing, a failed one may have written part: undo both alike.
                        if (item.Status != WriteStatus.Ok)
                        {
                            await Execute(c, tx, $"ROLLBACK TO d{i}", CancellationToken.None);
                        }

                        await Execute(c, tx, $"RELEASE d{i}", CancellationToken.None);
                    }

                    return (true, true);
                }, CancellationToken.None);
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

    private static async Task<WriteStatus> CommitOneAsync(SqliteConnection c, SqliteTransaction tx, DurableCommit commit, CancellationToken cancellationToken)
    {
        var e = commit.Execution;
        (string, object?)[] values =
        [
            ("$arn", e.Arn), ("$a", e.AccountId), ("$f", e.FunctionName), ("$ver", e.Version), ("$n", e.Name), ("$st", e.Status),
            ("$sa", e.StartedAt.ToUnixTimeMilliseconds()), ("$ea", e.EndedAt?.ToUnixTimeMilliseconds()), ("$in", e.SealedInput),
            ("$ih", e.InputHash), ("$res", e.SealedResult), ("$err", e.SealedError), ("$po", e.SealedPendingOutcome),
            ("$et", e.ExecutionTimeoutSeconds), ("$rd", e.RetentionDays), ("$tr", e.TraceId), ("$rv", e.RowVersion), ("$tok", e.Token),
            ("$ie", e.InvocationEventId), ("$ir", e.InvocationRequestId), ("$is", e.InvocationStartedAt?.ToUnixTimeMilliseconds()),
            ("$rq", e.ResumeQueued ? 1 : 0), ("$cs", e.ChangeSeq), ("$ss", e.SeenSeq), ("$nos", e.NextOpSeq), ("$nei", e.NextEventId),
            ("$cf", e.ConsecutiveFailures), ("$exp", e.ExpiresAt?.ToUnixTimeMilliseconds()), ("$pa", e.ParentArn), ("$pop", e.ParentOperationId),
        ];
        if (commit.ExpectedRowVersion is null)
        {
            var taken = await Scalar(c, tx, "SELECT 1 FROM durable_executions WHERE account_id = $a AND function_name = $f AND name = $n",
                cancellationToken, ("$a", e.AccountId), ("$f", e.FunctionName), ("$n", e.Name));
            if (taken is not null)
            {
                return WriteStatus.AlreadyExists;
            }

            await Execute(c, tx,
                $"INSERT INTO durable_executions ({ExecutionColumns}) VALUES ($arn, $a, $f, $ver, $n, $st, $sa, $ea, $in, $ih, $res, $err, $po, " +
                "$et, $rd, $tr, $rv, $tok, $ie, $ir, $is, $rq, $cs, $ss, $nos, $nei, $cf, $exp, $pa, $pop)", cancellationToken, values);
        }
        else
        {
            var updated = await Execute(c, tx,
                "UPDATE durable_executions SET status = $st, ended_at = $ea, result = $res, error = $err, pending_outcome = $po, row_version = $rv, " +
                "token = $tok, invocation_event_id = $ie, invocation_request_id = $ir, invocation_started_at = $is, resume_queued = $rq, " +
                "change_seq = $cs, seen_seq = $ss, next_op_seq = $nos, next_event_id = $nei, consecutive_failures = $cf, expires_at = $exp " +
                "WHERE arn = $arn AND row_version = $expected",
                cancellationToken, [.. values, ("$expected", commit.ExpectedRowVersion.Value)]);
            if (updated == 0)
            {
                return WriteStatus.RevisionMismatch;
            }
        }

        if (commit.Operations.Count > 0)
        {
            await using var op = Command(c, tx,
                $"INSERT INTO durable_operations (arn, {OperationColumns}) VALUES ($arn, $id, $p, $t, $sub, $n, $st, $sa, $ea, $seq, $cs, $d, $cb) " +
                "ON CONFLICT (arn, id) DO UPDATE SET status = excluded.status, ended_at = excluded.ended_at, change_seq = excluded.change_seq, " +
                "details = excluded.details, callback_id = excluded.callback_id, name = excluded.name, sub_type = excluded.sub_type",
                ("$arn", e.Arn), ("$id", ""), ("$p", null), ("$t", ""), ("$sub", null), ("$n", null), ("$st", ""), ("$sa", 0L), ("$ea", null),
                ("$seq", 0L), ("$cs", 0L), ("$d", Array.Empty<byte>()), ("$cb", null));
            foreach (var o in commit.Operations)
            {
                op.Parameters["$id"].Value = o.Id;
                op.Parameters["$p"].Value = (object?)o.ParentId ?? DBNull.Value;
                op.Parameters["$t"].Value = o.Type;
                op.Parameters["$sub"].Value = (object?)o.SubType ?? DBNull.Value;
                op.Parameters["$n"].Value = (object?)o.Name ?? DBNull.Value;
                op.Parameters["$st"].Value = o.Status;
                op.Parameters["$sa"].Value = o.StartedAt.ToUnixTimeMilliseconds();
                op.Parameters["$ea"].Value = (object?)o.EndedAt?.ToUnixTimeMilliseconds() ?? DBNull.Value;
                op.Parameters["$seq"].Value = o.Seq;
                op.Parameters["$cs"].Value = o.ChangeSeq;
                op.Parameters["$d"].Value = o.SealedDetails;
                op.Parameters["$cb"].Value = (object?)o.CallbackId ?? DBNull.Value;
                await op.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        if (commit.Events.Count > 0)
        {
            await using var ev = Command(c, tx, "INSERT INTO durable_history (arn, event_id, at, event) VALUES ($arn, $id, $at, $e)",
                ("$arn", e.Arn), ("$id", 0L), ("$at", 0L), ("$e", Array.Empty<byte>()));
            foreach (var h in commit.Events)
            {
                ev.Parameters["$id"].Value = h.EventId;
                ev.Parameters["$at"].Value = h.At.ToUnixTimeMilliseconds();
                ev.Parameters["$e"].Value = h.SealedEvent;
                await ev.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        foreach (var q in commit.Enqueue)
        {
            await InsertEventAsync(c, tx, q, cancellationToken);
        }

        if (commit.Checkpoint is { } cp)
        {
            await Execute(c, tx, "INSERT OR REPLACE INTO durable_checkpoints (arn, client_token, at, response) VALUES ($arn, $t, $at, $r)",
                cancellationToken, ("$arn", e.Arn), ("$t", cp.ClientToken), ("$at", cp.At.ToUnixTimeMilliseconds()), ("$r", cp.SealedResponse));
        }

        if (commit.CompleteEventId is { } done)
        {
            await Execute(c, tx, "DELETE FROM async_events WHERE id = $id AND claimed_by = $node", cancellationToken,
                ("$id", done), ("$node", commit.CompleteNode));
        }

        return WriteStatus.Ok;
    }

    private static Task<int> InsertEventAsync(SqliteConnection c, SqliteTransaction tx, AsyncEvent e, CancellationToken cancellationToken) =>
        Execute(c, tx,
            $"INSERT INTO async_events ({EventColumns}, claimed_by, claimed_until) " +
            "VALUES ($id, $kind, $a, $f, $q, $p, $e, $v, $att, $thr, $cc, $x, NULL, NULL) ON CONFLICT (id) DO NOTHING",
            cancellationToken, ("$id", e.Id), ("$kind", e.Kind.ToString()), ("$a", e.AccountId), ("$f", e.FunctionName), ("$q", e.Qualifier),
            ("$p", e.SealedPayload), ("$e", e.EnqueuedAt.ToUnixTimeMilliseconds()), ("$v", e.VisibleAt.ToUnixTimeMilliseconds()),
            ("$att", e.Attempts), ("$thr", e.ThrottleAttempts), ("$cc", e.ClientContext), ("$x", e.ExecutionArn));

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
