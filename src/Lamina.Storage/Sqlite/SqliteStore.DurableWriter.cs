using System.Data;
using Lamina.Core.Durable;
using Lamina.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Lamina.Storage.Sqlite;

internal sealed partial class SqliteStore
{
    private DurableWriter? _durableWriter;

    /// <summary>Parameters of an execution row, in the order of <see cref="ExecutionColumns"/>.</summary>
    private static readonly string[] ExecutionParameters =
    [
        "$arn", "$a", "$f", "$ver", "$n", "$st", "$sa", "$ea", "$in", "$ih", "$res", "$err", "$po", "$et", "$rd", "$tr", "$rv", "$tok", "$ie", "$ir",
        "$is", "$rq", "$cs", "$ss", "$nos", "$nei", "$cf", "$exp", "$pa", "$pop",
    ];

    /// <summary>The values of <see cref="ExecutionParameters"/> for <paramref name="e"/>.</summary>
    private static object?[] ExecutionValues(DurableExecutionRecord e) =>
    [
        e.Arn, e.AccountId, e.FunctionName, e.Version, e.Name, e.Status, e.StartedAt.ToUnixTimeMilliseconds(), e.EndedAt?.ToUnixTimeMilliseconds(),
        e.SealedInput, e.InputHash, e.SealedResult, e.SealedError, e.SealedPendingOutcome, e.ExecutionTimeoutSeconds, e.RetentionDays, e.TraceId,
        e.RowVersion, e.Token, e.InvocationEventId, e.InvocationRequestId, e.InvocationStartedAt?.ToUnixTimeMilliseconds(), e.ResumeQueued ? 1 : 0,
        e.ChangeSeq, e.SeenSeq, e.NextOpSeq, e.NextEventId, e.ConsecutiveFailures, e.ExpiresAt?.ToUnixTimeMilliseconds(), e.ParentArn,
        e.ParentOperationId,
    ];

    /// <summary>
    /// Writes one batch of the durable group commit in one fsync'd transaction on the durable writer, opening it
    /// first if needed. After a failure the writer is closed, so the next batch starts on a fresh connection
    /// rather than one in an unknown state.
    /// </summary>
    private async Task WriteDurableBatchAsync(List<PendingDurableCommit> batch)
    {
        await _writeLock.WaitAsync(CancellationToken.None);
        try
        {
            _durableWriter ??= DurableWriter.Open(_connectionString, RegisterFunctions);
            try
            {
                _durableWriter.Commit(batch);
            }
            catch
            {
                _durableWriter.Dispose();
                _durableWriter = null;
                throw;
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void CloseDurableWriter()
    {
        _durableWriter?.Dispose();
        _durableWriter = null;
    }

    /// <summary>
    /// The connection durable changes are committed on: opened once with <c>synchronous=FULL</c>, its statements
    /// compiled once, used only under the store's write lock (as <see cref="AuditWriter"/>). Renting a pooled
    /// connection for every commit re-ran its pragma, registered the store's SQL functions again and compiled
    /// eight to ten statements (savepoints included) before writing a step of a few rows.
    /// </summary>
    private sealed class DurableWriter : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly List<SqliteCommand> _commands = [];
        private readonly SqliteCommand _savepoint;
        private readonly SqliteCommand _rollbackToSavepoint;
        private readonly SqliteCommand _releaseSavepoint;
        private readonly SqliteCommand _nameTaken;
        private readonly SqliteCommand _insertExecution;
        private readonly SqliteCommand _updateExecution;
        private readonly SqliteCommand _putOperation;
        private readonly SqliteCommand _insertHistory;
        private readonly SqliteCommand _insertQueueEvent;
        private readonly SqliteCommand _putCheckpoint;
        private readonly SqliteCommand _completeQueueEvent;

        private DurableWriter(SqliteConnection connection)
        {
            _connection = connection;
            // One savepoint name serves every change of a batch: each is released before the next is taken.
            _savepoint = Statement("SAVEPOINT change");
            _rollbackToSavepoint = Statement("ROLLBACK TO change");
            _releaseSavepoint = Statement("RELEASE change");
            _nameTaken = Statement("SELECT 1 FROM durable_executions WHERE account_id = $a AND function_name = $f AND name = $n", "$a", "$f", "$n");
            _insertExecution = Statement(
                $"INSERT INTO durable_executions ({ExecutionColumns}) VALUES ({string.Join(", ", ExecutionParameters)})", ExecutionParameters);
            // Binds every execution parameter (the unused ones are ignored), so both statements take ExecutionValues as they are.
            _updateExecution = Statement(
                "UPDATE durable_executions SET status = $st, ended_at = $ea, result = $res, error = $err, pending_outcome = $po, row_version = $rv, " +
                "token = $tok, invocation_event_id = $ie, invocation_request_id = $ir, invocation_started_at = $is, resume_queued = $rq, " +
                "change_seq = $cs, seen_seq = $ss, next_op_seq = $nos, next_event_id = $nei, consecutive_failures = $cf, expires_at = $exp " +
                "WHERE arn = $arn AND row_version = $expected",
                [.. ExecutionParameters, "$expected"]);
            _putOperation = Statement(
                $"INSERT INTO durable_operations (arn, {OperationColumns}) VALUES ($arn, $id, $p, $t, $sub, $n, $st, $sa, $ea, $seq, $cs, $d, $cb) " +
                "ON CONFLICT (arn, id) DO UPDATE SET status = excluded.status, ended_at = excluded.ended_at, change_seq = excluded.change_seq, " +
                "details = excluded.details, callback_id = excluded.callback_id, name = excluded.name, sub_type = excluded.sub_type",
                "$arn", "$id", "$p", "$t", "$sub", "$n", "$st", "$sa", "$ea", "$seq", "$cs", "$d", "$cb");
            _insertHistory = Statement("INSERT INTO durable_history (arn, event_id, at, event) VALUES ($arn, $id, $at, $e)", "$arn", "$id", "$at", "$e");
            _insertQueueEvent = Statement(
                $"INSERT INTO async_events ({EventColumns}, claimed_by, claimed_until) " +
                "VALUES ($id, $kind, $a, $f, $q, $p, $e, $v, $att, $thr, $cc, $x, NULL, NULL) ON CONFLICT (id) DO NOTHING",
                "$id", "$kind", "$a", "$f", "$q", "$p", "$e", "$v", "$att", "$thr", "$cc", "$x");
            _putCheckpoint = Statement("INSERT OR REPLACE INTO durable_checkpoints (arn, client_token, at, response) VALUES ($arn, $t, $at, $r)",
                "$arn", "$t", "$at", "$r");
            _completeQueueEvent = Statement("DELETE FROM async_events WHERE id = $id AND claimed_by = $node", "$id", "$node");
        }

        public static DurableWriter Open(string connectionString, Action<SqliteConnection> registerFunctions)
        {
            var connection = new SqliteConnection(connectionString);
            try
            {
                connection.Open();
                using (var pragma = connection.CreateCommand())
                {
                    // Every durable change is acknowledged only once on disk.
                    pragma.CommandText = "PRAGMA synchronous=FULL;";
                    pragma.ExecuteNonQuery();
                }

                registerFunctions(connection);
                var writer = new DurableWriter(connection);
                foreach (var command in writer._commands)
                {
                    command.Prepare();
                }

                return writer;
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        /// <summary>
        /// Writes each change of <paramref name="batch"/> inside its own savepoint, so a refused (stale row version,
        /// name taken) or failed change is undone alone, then commits them together; records each change's outcome
        /// on it. Throws when the transaction as a whole fails (nothing of the batch committed).
        /// </summary>
        public void Commit(List<PendingDurableCommit> batch)
        {
            using var tx = _connection.BeginTransaction(IsolationLevel.Serializable, deferred: false);
            foreach (var command in _commands)
            {
                command.Transaction = tx;
            }

            foreach (var item in batch)
            {
                _savepoint.ExecuteNonQuery();
                try
                {
                    item.Status = Write(item.Commit);
                }
                catch (SqliteException ex)
                {
                    item.Error = ex;
                }

                // A refused change wrote nothing, a failed one may have written part: undo both alike.
                if (item.Status != WriteStatus.Ok)
                {
                    _rollbackToSavepoint.ExecuteNonQuery();
                }

                _releaseSavepoint.ExecuteNonQuery();
            }

            tx.Commit();
        }

        private WriteStatus Write(DurableCommit commit)
        {
            var e = commit.Execution;
            if (commit.ExpectedRowVersion is null)
            {
                if (Run(_nameTaken, e.AccountId, e.FunctionName, e.Name) is not null)
                {
                    return WriteStatus.AlreadyExists;
                }

                Bind(_insertExecution, ExecutionValues(e));
                _insertExecution.ExecuteNonQuery();
            }
            else
            {
                Bind(_updateExecution, ExecutionValues(e));
                _updateExecution.Parameters[^1].Value = commit.ExpectedRowVersion.Value;
                if (_updateExecution.ExecuteNonQuery() == 0)
                {
                    return WriteStatus.RevisionMismatch;
                }
            }

            foreach (var o in commit.Operations)
            {
                Bind(_putOperation, e.Arn, o.Id, o.ParentId, o.Type, o.SubType, o.Name, o.Status, o.StartedAt.ToUnixTimeMilliseconds(),
                    o.EndedAt?.ToUnixTimeMilliseconds(), o.Seq, o.ChangeSeq, o.SealedDetails, o.CallbackId);
                _putOperation.ExecuteNonQuery();
            }

            foreach (var h in commit.Events)
            {
                Bind(_insertHistory, e.Arn, h.EventId, h.At.ToUnixTimeMilliseconds(), h.SealedEvent);
                _insertHistory.ExecuteNonQuery();
            }

            foreach (var q in commit.Enqueue)
            {
                Bind(_insertQueueEvent, q.Id, q.Kind.ToString(), q.AccountId, q.FunctionName, q.Qualifier, q.SealedPayload,
                    q.EnqueuedAt.ToUnixTimeMilliseconds(), q.VisibleAt.ToUnixTimeMilliseconds(), q.Attempts, q.ThrottleAttempts, q.ClientContext,
                    q.ExecutionArn);
                _insertQueueEvent.ExecuteNonQuery();
            }

            if (commit.Checkpoint is { } cp)
            {
                Bind(_putCheckpoint, e.Arn, cp.ClientToken, cp.At.ToUnixTimeMilliseconds(), cp.SealedResponse);
                _putCheckpoint.ExecuteNonQuery();
            }

            if (commit.CompleteEventId is { } done)
            {
                Bind(_completeQueueEvent, done, commit.CompleteNode);
                _completeQueueEvent.ExecuteNonQuery();
            }

            return WriteStatus.Ok;
        }

        private SqliteCommand Statement(string sql, params string[] parameters)
        {
            var command = _connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in parameters)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name, Value = DBNull.Value });
            }

            _commands.Add(command);
            return command;
        }

        /// <summary>Sets the command's parameters, in the order they were declared, to <paramref name="values"/>.</summary>
        private static void Bind(SqliteCommand command, params object?[] values)
        {
            var parameters = command.Parameters;
            for (var i = 0; i < values.Length; i++)
            {
                parameters[i].Value = values[i] ?? DBNull.Value;
            }
        }

        private static object? Run(SqliteCommand command, params object?[] values)
        {
            Bind(command, values);
            var value = command.ExecuteScalar();
            return value is DBNull ? null : value;
        }

        public void Dispose()
        {
            foreach (var command in _commands)
            {
                command.Dispose();
            }

            _connection.Dispose();
        }
    }
}
