using System.Data;
using System.Diagnostics;
using Lamina.Benchmarks.ControlPlane;
using Microsoft.Data.Sqlite;

namespace Lamina.Benchmarks.Async;

/// <summary>
/// The store's raw durable commit rate: SQLite with the settings <c>SqliteStore</c> uses, one row per
/// transaction into Lamina's own <c>async_events</c> table, with no server in between.
/// </summary>
/// <remarks>
/// Settings copied from <c>src/Lamina.Storage/Sqlite/SqliteStore.cs</c>: 8 KB pages, WAL, <c>synchronous=FULL</c>
/// (the WAL is fsync'd at every commit), foreign keys on, pooled connections, <c>BEGIN IMMEDIATE</c>, and one
/// in-process lock around every write transaction (Lamina's <c>_writeLock</c>). The table comes from the
/// migration file itself, so the floor follows schema changes.
/// </remarks>
internal static class CommitFloor
{
    public const string SchemaFile = "src/Lamina.Storage/Migrations/004_async.sql";

    /// <summary>The row Lamina's group committer inserts for an event (all columns, the same conflict clause).</summary>
    private const string Insert = """
        INSERT INTO async_events (id, kind, account_id, function_name, qualifier, payload, enqueued_at, visible_at, attempts,
                                  throttle_attempts, client_context, execution_arn, claimed_by, claimed_until)
        VALUES ($id, 'Invoke', '000000000000', $function, NULL, $payload, $now, $now, 0, 0, NULL, NULL, NULL, NULL)
        ON CONFLICT (id) DO NOTHING
        """;

    /// <summary>
    /// <paramref name="writers"/> loops on their own connections, each committing one row per transaction for
    /// <paramref name="duration"/>, all behind one lock as in Lamina. <paramref name="rowPayload"/> is the
    /// sealed payload size an event of the benchmark's size has in the queue.
    /// </summary>
    public static async Task<FloorResult> MeasureAsync(string databasePath, string schemaSql, int rowPayload, int writers, TimeSpan duration,
        CancellationToken cancellationToken)
    {
        var connectionString = $"Data Source={databasePath};Mode=ReadWriteCreate;Pooling=True;Foreign Keys=True;Default Timeout=30";
        await using (var setup = new SqliteConnection(connectionString))
        {
            await setup.OpenAsync(cancellationToken);
            await ExecuteAsync(setup, "PRAGMA page_size=8192; PRAGMA journal_mode=WAL;", cancellationToken);
            await ExecuteAsync(setup, schemaSql, cancellationToken);
        }

        // Random bytes, as incompressible as the AES-GCM envelope Lamina stores.
        var payload = new byte[rowPayload];
        Random.Shared.NextBytes(payload);
        using var writeLock = new SemaphoreSlim(1, 1);
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var loops = new Task<List<long>>[writers];
        for (var i = 0; i < writers; i++)
        {
            loops[i] = Task.Run(() => CommitLoopAsync(connectionString, writeLock, payload, deadline, cancellationToken), cancellationToken);
        }

        var samples = (await Task.WhenAll(loops)).SelectMany(s => s).ToArray();
        var elapsed = Stopwatch.GetElapsedTime(start);
        SqliteConnection.ClearAllPools();
        return new FloorResult(writers, samples.Length, elapsed, LatencySummary.FromTicks(samples));
    }

    private static async Task<List<long>> CommitLoopAsync(string connectionString, SemaphoreSlim writeLock, byte[] payload, long deadline,
        CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, "PRAGMA synchronous=FULL;", cancellationToken);
        await using var insert = connection.CreateCommand();
        insert.CommandText = Insert;
        var id = insert.Parameters.Add("$id", SqliteType.Text);
        var now = insert.Parameters.Add("$now", SqliteType.Integer);
        insert.Parameters.AddWithValue("$function", AsyncSettings.FunctionName);
        insert.Parameters.AddWithValue("$payload", payload);
        var samples = new List<long>(64 * 1024);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var asked = Stopwatch.GetTimestamp();
            await writeLock.WaitAsync(cancellationToken);
            try
            {
                await using var tx = connection.BeginTransaction(IsolationLevel.Serializable, deferred: false);
                insert.Transaction = tx;
                id.Value = Guid.NewGuid().ToString();
                now.Value = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                await insert.ExecuteNonQueryAsync(cancellationToken);
                await tx.CommitAsync(cancellationToken);
            }
            finally
            {
                writeLock.Release();
            }

            samples.Add(Stopwatch.GetTimestamp() - asked);
        }

        return samples;
    }

    /// <summary>The filesystem holding <paramref name="path"/> (longest matching mount point in /proc/self/mounts), for the report.</summary>
    public static string FileSystemOf(string path)
    {
        var full = Path.GetFullPath(path);
        var best = (MountPoint: "", Text: "unknown");
        foreach (var line in File.ReadLines("/proc/self/mounts"))
        {
            var fields = line.Split(' ');
            if (fields.Length < 3)
            {
                continue;
            }

            var mountPoint = fields[1].Replace("\\040", " ", StringComparison.Ordinal);
            var inside = full == mountPoint || full.StartsWith(mountPoint.TrimEnd('/') + "/", StringComparison.Ordinal);
            if (inside && mountPoint.Length >= best.MountPoint.Length)
            {
                best = (mountPoint, $"{fields[2]} ({fields[0]})");
            }
        }

        return best.Text;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
