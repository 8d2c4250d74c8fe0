using System.Text.Json;
using Lamina.Core.Audit;
using Microsoft.Data.Sqlite;

namespace Lamina.Storage.Sqlite;

internal sealed partial class SqliteStore : IAuditStore
{
    public IAuditStore Audit => this;

    private GroupCommitter<IReadOnlyList<AuditEvent>>? _auditCommitter;

    // One commit per batch of calls: concurrent control-plane requests share the fsync their records need
    // before the response goes out. 4,096 waiting calls at about 1.5 KB a record is a few MB.
    private GroupCommitter<IReadOnlyList<AuditEvent>> AuditCommitter =>
        LazyInitializer.EnsureInitialized(ref _auditCommitter, () => new GroupCommitter<IReadOnlyList<AuditEvent>>(CommitAuditAsync, 4096, 512));

    private const string AuditEventColumns =
        "e.seq, e.account_id, e.event_id, e.event_time, e.event_name, e.event_source, e.username, e.access_key_id, e.read_only, e.category, e.record";

    private const string LogFileColumns =
        "id, account_id, bucket, object_key, hash_value, oldest_event, newest_event, first_seq, last_seq, records, created_at, written, digest_id";

    private const string DigestColumns = "id, account_id, start_time, end_time, bucket, object_key, hash_value, signature, fingerprint, content, written";

    private static AuditEvent MapAuditEvent(SqliteDataReader r) => new()
    {
        Sequence = r.GetInt64(0),
        AccountId = r.GetString(1),
        EventId = r.GetString(2),
        EventTime = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)),
        EventName = r.GetString(4),
        EventSource = r.GetString(5),
        Username = r.IsDBNull(6) ? null : r.GetString(6),
        AccessKeyId = r.IsDBNull(7) ? null : r.GetString(7),
        ReadOnly = r.GetInt64(8) != 0,
        Category = Enum.Parse<AuditCategory>(r.GetString(9)),
        Record = r.GetString(10),
        Resources = r.FieldCount > 11 && !r.IsDBNull(11) ? ParseResources(r.GetString(11)) : [],
    };

    private static List<AuditResource> ParseResources(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray()
            .Select(item => new AuditResource(item[0].GetString()!, item[1].GetString()!, item[2].ValueKind == JsonValueKind.Null ? null : item[2].GetString()))
            .ToList();
    }

    private static AuditLogFile MapLogFile(SqliteDataReader r) => new()
    {
        Id = r.GetInt64(0),
        AccountId = r.GetString(1),
        Bucket = r.GetString(2),
        ObjectKey = r.GetString(3),
        HashValue = r.GetString(4),
        OldestEventTime = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)),
        NewestEventTime = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)),
        FirstSequence = r.GetInt64(7),
        LastSequence = r.GetInt64(8),
        RecordCount = r.GetInt32(9),
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(10)),
        Written = r.GetInt64(11) != 0,
        DigestId = r.IsDBNull(12) ? null : r.GetInt64(12),
    };

    private static AuditDigest MapDigest(SqliteDataReader r) => new()
    {
        Id = r.GetInt64(0),
        AccountId = r.GetString(1),
        StartTime = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)),
        EndTime = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)),
        Bucket = r.GetString(4),
        ObjectKey = r.GetString(5),
        HashValue = r.GetString(6),
        Signature = r.GetString(7),
        Fingerprint = r.GetString(8),
        Content = r.IsDBNull(9) ? null : (byte[])r.GetValue(9),
        Written = r.GetInt64(10) != 0,
    };

    public Task AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken) =>
        AuditCommitter.SubmitAsync(events, cancellationToken);

    /// <summary>
    /// A batch of records of calls that changed nothing (reads, Invoke and other data events) is committed to the
    /// WAL without its own fsync: it is there before the answer and survives a killed server, and a power cut can
    /// lose only such records written since the last fsync'd commit. With an fsync per batch every read would
    /// wait for the disk (0.5-0.8 ms at the median here, docs/audit.md); a batch with any record of a change is
    /// fsync'd, as the change itself was.
    /// </summary>
    private static bool NeedsFsync(IReadOnlyList<IReadOnlyList<AuditEvent>> batch) =>
        batch.Any(events => events.Any(e => !e.ReadOnly && e.Category == AuditCategory.Management));

    private AuditWriter? _auditWriter;

    private async Task CommitAuditAsync(IReadOnlyList<IReadOnlyList<AuditEvent>> batch)
    {
        await _writeLock.WaitAsync(CancellationToken.None);
        try
        {
            _auditWriter ??= AuditWriter.Open(_connectionString, RegisterFunctions);
            try
            {
                await _auditWriter.CommitAsync(batch, NeedsFsync(batch));
            }
            catch
            {
                // The next batch starts over on a fresh connection rather than one in an unknown state.
                _auditWriter.Dispose();
                _auditWriter = null;
                throw;
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void CloseAuditWriter()
    {
        _auditWriter?.Dispose();
        _auditWriter = null;
    }

    /// <summary>
    /// The connection audit batches are written on: opened once, its two INSERTs compiled once, used only under
    /// the store's write lock. Renting a pooled connection (which re-runs its pragmas and registers the history
    /// functions) and compiling both statements for every batch cost a read about 8% of its throughput: on one
    /// core GetFunction answered 11,238 calls/s with the trail off, 5,637 with it on, and 6,112 with this writer
    /// (docs/benchmarks.md).
    /// </summary>
    private sealed class AuditWriter : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _insert;
        private readonly SqliteCommand _resource;
        private readonly SqliteParameter _a, _id, _t, _n, _s, _u, _k, _ro, _cat, _r;
        private readonly SqliteParameter _rSeq, _rAccount, _rType, _rName, _rArn;
        private bool? _fsync;

        private AuditWriter(SqliteConnection connection)
        {
            _connection = connection;
            _insert = connection.CreateCommand();
            _insert.CommandText =
                "INSERT INTO audit_events (account_id, event_id, event_time, event_name, event_source, username, access_key_id, read_only, category, record) " +
                "VALUES ($a, $id, $t, $n, $s, $u, $k, $ro, $cat, $r) RETURNING seq";
            _a = _insert.Parameters.Add("$a", SqliteType.Text);
            _id = _insert.Parameters.Add("$id", SqliteType.Text);
            _t = _insert.Parameters.Add("$t", SqliteType.Integer);
            _n = _insert.Parameters.Add("$n", SqliteType.Text);
            _s = _insert.Parameters.Add("$s", SqliteType.Text);
            _u = _insert.Parameters.Add("$u", SqliteType.Text);
            _k = _insert.Parameters.Add("$k", SqliteType.Text);
            _ro = _insert.Parameters.Add("$ro", SqliteType.Integer);
            _cat = _insert.Parameters.Add("$cat", SqliteType.Text);
            _r = _insert.Parameters.Add("$r", SqliteType.Text);
            _resource = connection.CreateCommand();
            _resource.CommandText =
                "INSERT OR IGNORE INTO audit_event_resources (seq, account_id, resource_type, resource_name, resource_arn) VALUES ($seq, $a, $type, $name, $arn)";
            _rSeq = _resource.Parameters.Add("$seq", SqliteType.Integer);
            _rAccount = _resource.Parameters.Add("$a", SqliteType.Text);
            _rType = _resource.Parameters.Add("$type", SqliteType.Text);
            _rName = _resource.Parameters.Add("$name", SqliteType.Text);
            _rArn = _resource.Parameters.Add("$arn", SqliteType.Text);
        }

        public static AuditWriter Open(string connectionString, Action<SqliteConnection> registerFunctions)
        {
            var connection = new SqliteConnection(connectionString);
            try
            {
                connection.Open();
                registerFunctions(connection);
                var writer = new AuditWriter(connection);
                writer._insert.Prepare();
                writer._resource.Prepare();
                return writer;
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        public async Task CommitAsync(IReadOnlyList<IReadOnlyList<AuditEvent>> batch, bool fsync)
        {
            if (_fsync != fsync)
            {
                await using var pragma = _connection.CreateCommand();
                pragma.CommandText = fsync ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;";
                await pragma.ExecuteNonQueryAsync();
                _fsync = fsync;
            }

            await using var tx = _connection.BeginTransaction(System.Data.IsolationLevel.Serializable, deferred: false);
            _insert.Transaction = tx;
            _resource.Transaction = tx;
            foreach (var events in batch)
            {
                foreach (var e in events)
                {
                    _a.Value = e.AccountId;
                    _id.Value = e.EventId;
                    _t.Value = e.EventTime.ToUnixTimeMilliseconds();
                    _n.Value = e.EventName;
                    _s.Value = e.EventSource;
                    _u.Value = (object?)e.Username ?? DBNull.Value;
                    _k.Value = (object?)e.AccessKeyId ?? DBNull.Value;
                    _ro.Value = e.ReadOnly ? 1 : 0;
                    _cat.Value = e.Category.ToString();
                    _r.Value = e.Record;
                    var seq = (long)(await _insert.ExecuteScalarAsync())!;
                    foreach (var res in e.Resources)
                    {
                        _rSeq.Value = seq;
                        _rAccount.Value = e.AccountId;
                        _rType.Value = res.Type;
                        _rName.Value = res.Name;
                        _rArn.Value = (object?)res.Arn ?? DBNull.Value;
                        await _resource.ExecuteNonQueryAsync();
                    }
                }
            }

            await tx.CommitAsync();
        }

        public void Dispose()
        {
            _insert.Dispose();
            _resource.Dispose();
            _connection.Dispose();
        }
    }

    public async Task<IReadOnlyList<AuditEvent>> LookupAsync(AuditLookup query, CancellationToken cancellationToken)
    {
        var filter = query.Attribute switch
        {
            null => "",
            AuditLookupAttribute.EventId => "AND e.event_id = $v ",
            AuditLookupAttribute.EventName => "AND e.event_name = $v ",
            AuditLookupAttribute.ReadOnly => "AND e.read_only = $v ",
            AuditLookupAttribute.Username => "AND e.username = $v ",
            AuditLookupAttribute.EventSource => "AND e.event_source = $v ",
            AuditLookupAttribute.AccessKeyId => "AND e.access_key_id = $v ",
            AuditLookupAttribute.ResourceType =>
                "AND EXISTS (SELECT 1 FROM audit_event_resources x WHERE x.seq = e.seq AND x.resource_type = $v) ",
            AuditLookupAttribute.ResourceName =>
                "AND EXISTS (SELECT 1 FROM audit_event_resources x WHERE x.seq = e.seq AND (x.resource_name = $v OR x.resource_arn = $v)) ",
            _ => throw new ArgumentOutOfRangeException(nameof(query), query.Attribute, "Unknown lookup attribute"),
        };
        object? value = query.Attribute == AuditLookupAttribute.ReadOnly
            ? (string.Equals(query.AttributeValue, "true", StringComparison.OrdinalIgnoreCase) ? 1 : 0)
            : query.AttributeValue;
        var (afterTime, afterSeq) = query.After is { } after ? (after.Time.ToUnixTimeMilliseconds(), after.Sequence) : (long.MaxValue, long.MaxValue);
        return await ReadAsync(
            $"SELECT {AuditEventColumns}, (SELECT json_group_array(json_array(r.resource_type, r.resource_name, r.resource_arn)) " +
            "FROM audit_event_resources r WHERE r.seq = e.seq) FROM audit_events e " +
            "WHERE e.account_id = $a AND e.event_time >= $start AND e.event_time <= $end " +
            "AND (e.event_time < $at OR (e.event_time = $at AND e.seq < $seq)) " + filter +
            "ORDER BY e.event_time DESC, e.seq DESC LIMIT $limit",
            MapAuditEvent, cancellationToken,
            ("$a", query.AccountId), ("$start", query.StartTime?.ToUnixTimeMilliseconds() ?? long.MinValue),
            ("$end", query.EndTime?.ToUnixTimeMilliseconds() ?? long.MaxValue), ("$at", afterTime), ("$seq", afterSeq), ("$v", value),
            ("$limit", query.Limit));
    }

    public async Task<IReadOnlyList<string>> ListAccountsWithUnsealedEventsAsync(CancellationToken cancellationToken) =>
        await ReadAsync("SELECT DISTINCT account_id FROM audit_events WHERE log_file_id IS NULL ORDER BY account_id", r => r.GetString(0), cancellationToken);

    public async Task<IReadOnlyList<string>> ListTrailAccountsAsync(CancellationToken cancellationToken) =>
        await ReadAsync("SELECT account_id FROM audit_log_files UNION SELECT account_id FROM audit_digests ORDER BY 1", r => r.GetString(0), cancellationToken);

    public Task<AuditLogFile?> SealLogFileAsync(string accountId, int maxRecords, Func<IReadOnlyList<AuditEvent>, AuditLogFile> build,
        CancellationToken cancellationToken) =>
        WriteAsync<AuditLogFile?>(async (c, tx) =>
        {
            var events = await Query(c, tx,
                $"SELECT {AuditEventColumns} FROM audit_events e WHERE e.account_id = $a AND e.log_file_id IS NULL ORDER BY e.seq LIMIT $n",
                MapAuditEvent, cancellationToken, ("$a", accountId), ("$n", maxRecords));
            if (events.Count == 0)
            {
                return (null, false);
            }

            var file = build(events);
            var id = (long)(await Scalar(c, tx,
                $"INSERT INTO audit_log_files ({LogFileColumns[4..]}) " +
                "VALUES ($a, $b, $k, $h, $old, $new, $first, $last, $n, $t, 0, NULL) RETURNING id",
                cancellationToken, ("$a", accountId), ("$b", file.Bucket), ("$k", file.ObjectKey), ("$h", file.HashValue),
                ("$old", file.OldestEventTime.ToUnixTimeMilliseconds()), ("$new", file.NewestEventTime.ToUnixTimeMilliseconds()),
                ("$first", file.FirstSequence), ("$last", file.LastSequence), ("$n", file.RecordCount), ("$t", file.CreatedAt.ToUnixTimeMilliseconds())))!;
            await Execute(c, tx,
                "UPDATE audit_events SET log_file_id = $id WHERE account_id = $a AND log_file_id IS NULL AND seq BETWEEN $first AND $last",
                cancellationToken, ("$id", id), ("$a", accountId), ("$first", file.FirstSequence), ("$last", file.LastSequence));
            return (file with { Id = id }, true);
        }, cancellationToken);

    public async Task<IReadOnlyList<string>> ReadLogRecordsAsync(long logFileId, CancellationToken cancellationToken) =>
        await ReadAsync(
            "SELECT e.record FROM audit_log_files f JOIN audit_events e ON e.account_id = f.account_id AND e.seq BETWEEN f.first_seq AND f.last_seq " +
            "WHERE f.id = $id AND e.log_file_id = f.id ORDER BY e.seq",
            r => r.GetString(0), cancellationToken, ("$id", logFileId));

    public Task MarkLogFileWrittenAsync(long logFileId, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            await Execute(c, tx, "UPDATE audit_log_files SET written = 1 WHERE id = $id", cancellationToken, ("$id", logFileId));
            return (true, true);
        }, cancellationToken);

    public async Task<IReadOnlyList<AuditLogFile>> ListLogFilesAsync(string? accountId, bool unwrittenOnly, CancellationToken cancellationToken) =>
        await ReadAsync(
            $"SELECT {LogFileColumns} FROM audit_log_files WHERE ($a IS NULL OR account_id = $a) AND ($u = 0 OR written = 0) ORDER BY id",
            MapLogFile, cancellationToken, ("$a", accountId), ("$u", unwrittenOnly ? 1 : 0));

    public Task<AuditDigest?> CreateDigestAsync(string accountId, Func<AuditDigest?, IReadOnlyList<AuditLogFile>, AuditDigest?> build,
        CancellationToken cancellationToken) =>
        WriteAsync<AuditDigest?>(async (c, tx) =>
        {
            var previous = (await Query(c, tx, $"SELECT {DigestColumns} FROM audit_digests WHERE account_id = $a ORDER BY id DESC LIMIT 1",
                MapDigest, cancellationToken, ("$a", accountId))).FirstOrDefault();
            var logs = await Query(c, tx,
                $"SELECT {LogFileColumns} FROM audit_log_files WHERE account_id = $a AND digest_id IS NULL AND written = 1 ORDER BY id",
                MapLogFile, cancellationToken, ("$a", accountId));
            var digest = build(previous, logs);
            if (digest is null)
            {
                return (null, false);
            }

            var id = (long)(await Scalar(c, tx,
                $"INSERT INTO audit_digests ({DigestColumns[4..]}) VALUES ($a, $start, $end, $b, $k, $h, $sig, $fp, $content, 0) RETURNING id",
                cancellationToken, ("$a", accountId), ("$start", digest.StartTime.ToUnixTimeMilliseconds()), ("$end", digest.EndTime.ToUnixTimeMilliseconds()),
                ("$b", digest.Bucket), ("$k", digest.ObjectKey), ("$h", digest.HashValue), ("$sig", digest.Signature), ("$fp", digest.Fingerprint),
                ("$content", digest.Content)))!;
            foreach (var log in logs)
            {
                await Execute(c, tx, "UPDATE audit_log_files SET digest_id = $d WHERE id = $id", cancellationToken, ("$d", id), ("$id", log.Id));
            }

            return (digest with { Id = id }, true);
        }, cancellationToken);

    public Task MarkDigestWrittenAsync(long digestId, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            await Execute(c, tx, "UPDATE audit_digests SET written = 1, content = NULL WHERE id = $id", cancellationToken, ("$id", digestId));
            return (true, true);
        }, cancellationToken);

    public async Task<IReadOnlyList<AuditDigest>> ListDigestsAsync(string? accountId, bool unwrittenOnly, CancellationToken cancellationToken) =>
        await ReadAsync(
            $"SELECT {DigestColumns} FROM audit_digests WHERE ($a IS NULL OR account_id = $a) AND ($u = 0 OR written = 0) ORDER BY id",
            MapDigest, cancellationToken, ("$a", accountId), ("$u", unwrittenOnly ? 1 : 0));

    public async Task<IReadOnlyList<AuditSigningKey>> ListSigningKeysAsync(CancellationToken cancellationToken) =>
        await ReadAsync("SELECT fingerprint, public_key, sealed_private_key, valid_from, valid_to FROM audit_keys ORDER BY valid_from",
            r => new AuditSigningKey
            {
                Fingerprint = r.GetString(0),
                PublicKey = (byte[])r.GetValue(1),
                SealedPrivateKey = (byte[])r.GetValue(2),
                ValidFrom = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)),
                ValidTo = r.IsDBNull(4) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)),
            }, cancellationToken);

    public Task<bool> AddSigningKeyAsync(AuditSigningKey key, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            if (await Scalar(c, tx, "SELECT 1 FROM audit_keys WHERE valid_to IS NULL", cancellationToken) is not null)
            {
                return (false, false);
            }

            await Execute(c, tx,
                "INSERT INTO audit_keys (fingerprint, public_key, sealed_private_key, valid_from, valid_to) VALUES ($f, $p, $s, $from, $to)",
                cancellationToken, ("$f", key.Fingerprint), ("$p", key.PublicKey), ("$s", key.SealedPrivateKey),
                ("$from", key.ValidFrom.ToUnixTimeMilliseconds()), ("$to", key.ValidTo?.ToUnixTimeMilliseconds()));
            return (true, true);
        }, cancellationToken);

    public async Task<int> PurgeEventsAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        // In slices, so that a long-neglected purge never holds the write lock for long.
        var total = 0;
        int deleted;
        do
        {
            deleted = await WriteAsync(async (c, tx) =>
            {
                var n = await Execute(c, tx,
                    "DELETE FROM audit_events WHERE seq IN (SELECT e.seq FROM audit_events e JOIN audit_log_files f ON f.id = e.log_file_id " +
                    "WHERE e.event_time < $t AND f.written = 1 LIMIT 5000)",
                    cancellationToken, ("$t", before.ToUnixTimeMilliseconds()));
                return (n, n > 0);
            }, cancellationToken);
            total += deleted;
        }
        while (deleted == 5000);

        return total;
    }
}
