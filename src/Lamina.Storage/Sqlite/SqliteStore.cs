using System.Data;
using System.Reflection;
using Lamina.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Lamina.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite database in WAL mode with <c>synchronous=FULL</c>, so a commit is on
/// disk before it is acknowledged (a power cut may not drop it; reference/security.md section 12). Two kinds of
/// write skip their own fsync because no acknowledged change rides on them: audit batches holding only records
/// of calls that changed nothing, and function log lines (see <see cref="WriteAsync{T}"/>).
/// Writes are serialized in-process and use <c>BEGIN IMMEDIATE</c>, so several processes sharing the
/// file (admin verbs beside the server) also stay correct.
/// </summary>
internal sealed partial class SqliteStore : IStore, IAccountStore, IFunctionStore, ILayerStore, IBlobIndex
{
    private readonly string _connectionString;
    private readonly TimeProvider _time;

    // One writer at a time: SQLite allows only one, and waiting here is cheaper than SQLITE_BUSY retries.
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    private SqliteStore(string connectionString, TimeProvider time)
    {
        _connectionString = connectionString;
        _time = time;
    }

    public IAccountStore Accounts => this;

    public IFunctionStore Functions => this;

    public ILayerStore Layers => this;

    public IBlobIndex Blobs => this;

    public string DatabasePath { get; private init; } = "";

    /// <summary>Opens (creating and migrating as needed) the database at <paramref name="path"/>.</summary>
    public static async Task<SqliteStore> OpenAsync(string path, TimeProvider time, CancellationToken cancellationToken)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            ForeignKeys = true,
            // Seconds to wait on a lock held by another process before SQLITE_BUSY.
            DefaultTimeout = 30,
        };
        var store = new SqliteStore(builder.ToString(), time) { DatabasePath = path };
        await using (var connection = new SqliteConnection(store._connectionString))
        {
            await connection.OpenAsync(cancellationToken);
            // Takes effect only while the file is still empty (a new data directory); an existing
            // database keeps its page size. With 4 KB pages a function version row (about 1.2 KB: the
            // configuration JSON) exceeds what a WITHOUT ROWID leaf holds inline (about 1,000 bytes) and
            // spills to an overflow page, which made reading a 50-function page about 1.6 times as costly.
            await Execute(connection, null, "PRAGMA page_size=8192;", cancellationToken);
            await Execute(connection, null, "PRAGMA journal_mode=WAL;", cancellationToken);
            store.RegisterFunctions(connection);
            await store.MigrateAsync(connection, cancellationToken);
        }

        if (!OperatingSystem.IsWindows())
        {
            foreach (var file in new[] { path, path + "-wal", path + "-shm" })
            {
                if (File.Exists(file))
                {
                    File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }
            }
        }

        return store;
    }

    private async Task MigrateAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await Execute(connection, null,
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);", cancellationToken);
        var applied = new HashSet<long>();
        await using (var cmd = Command(connection, null, "SELECT version FROM schema_migrations"))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                applied.Add(reader.GetInt64(0));
            }
        }

        var assembly = typeof(SqliteStore).Assembly;
        const string Prefix = "Lamina.Storage.Migrations.";
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var version = long.Parse(name.AsSpan(Prefix.Length, 3), System.Globalization.CultureInfo.InvariantCulture);
            if (applied.Contains(version))
            {
                continue;
            }

            var sql = ReadResource(assembly, name);
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken);
            await Execute(connection, tx, sql, cancellationToken);
            await using (var record = Command(connection, tx, "INSERT INTO schema_migrations (version, applied_at) VALUES ($v, $t)",
                             ("$v", version), ("$t", _time.GetUtcNow().ToUnixTimeMilliseconds())))
            {
                await record.ExecuteNonQueryAsync(cancellationToken);
            }

            await tx.CommitAsync(cancellationToken);
        }
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// Runs <paramref name="work"/> in an immediate transaction; it commits only when the work says so,
    /// so a refused conditional write leaves nothing behind.
    /// </summary>
    /// <summary>
    /// Runs <paramref name="work"/> in one write transaction. With <paramref name="fsync"/> false the commit reaches the WAL
    /// without its own fsync (<c>synchronous=NORMAL</c>): it survives a killed server, and a power cut can lose it only until
    /// the next fsync'd commit, which syncs the WAL up to its own frames.
    /// </summary>
    private async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<(T Result, bool Commit)>> work, CancellationToken cancellationToken,
        bool fsync = true)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await using var connection = new SqliteConnection(_connectionString);
            await connection.OpenAsync(cancellationToken);
            // Set on every open: the connection comes from the pool, where the previous writer may have left either.
            await Execute(connection, null, fsync ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;", cancellationToken);
            RegisterFunctions(connection);
            await using var tx = connection.BeginTransaction(IsolationLevel.Serializable, deferred: false);
            var (result, commit) = await work(connection, tx);
            if (commit)
            {
                await tx.CommitAsync(cancellationToken);
            }
            else
            {
                await tx.RollbackAsync(cancellationToken);
            }

            return result;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    internal static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd;
    }

    internal static async Task<int> Execute(SqliteConnection connection, SqliteTransaction? tx, string sql, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        await using var cmd = Command(connection, tx, sql, parameters);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    internal static async Task<object?> Scalar(SqliteConnection connection, SqliteTransaction? tx, string sql, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        await using var cmd = Command(connection, tx, sql, parameters);
        var value = await cmd.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? null : value;
    }

    private static async Task<List<T>> Query<T>(SqliteConnection connection, SqliteTransaction? tx, string sql, Func<SqliteDataReader, T> map,
        CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var cmd = Command(connection, tx, sql, parameters);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(map(reader));
        }

        return list;
    }

    private async Task<List<T>> ReadAsync<T>(string sql, Func<SqliteDataReader, T> map, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        var reader = await RentReaderAsync(cancellationToken);
        var reusable = false;
        try
        {
            var cmd = reader.Command(sql, parameters, out var owned);
            try
            {
                var list = new List<T>();
                await using (var rows = await cmd.ExecuteReaderAsync(cancellationToken))
                {
                    while (await rows.ReadAsync(cancellationToken))
                    {
                        list.Add(map(rows));
                    }
                }

                reusable = true;
                return list;
            }
            finally
            {
                if (owned)
                {
                    await cmd.DisposeAsync();
                }
            }
        }
        finally
        {
            // A failed read (cancelled, busy, corrupt) may leave the connection mid-statement: close it rather than reuse it.
            if (reusable)
            {
                ReturnReader(reader);
            }
            else
            {
                reader.Dispose();
            }
        }
    }

    private async Task<T?> ReadOneAsync<T>(string sql, Func<SqliteDataReader, T> map, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
        where T : class
    {
        var list = await ReadAsync(sql, map, cancellationToken, parameters);
        return list.Count == 0 ? null : list[0];
    }

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<string?> GetMetaAsync(string key, CancellationToken cancellationToken) =>
        (await ReadAsync("SELECT value FROM meta WHERE key = $k", r => r.GetString(0), cancellationToken, ("$k", key))).FirstOrDefault();

    public Task SetMetaAsync(string key, string value, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            await Execute(c, tx, "INSERT INTO meta (key, value) VALUES ($k, $v) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                cancellationToken, ("$k", key), ("$v", value));
            return (true, true);
        }, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        // Let queued enqueues commit (each caller is still waiting for its acknowledgement).
        if (_enqueueCommitter is not null)
        {
            await _enqueueCommitter.CompleteAsync(TimeSpan.FromSeconds(10));
        }

        if (_auditCommitter is not null)
        {
            await _auditCommitter.CompleteAsync(TimeSpan.FromSeconds(10));
        }

        CloseAuditWriter();
        CloseDurableWriter();

        CloseIdleReaders();
        SqliteConnection.ClearAllPools();
        _writeLock.Dispose();
    }
}
