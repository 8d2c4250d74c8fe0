using System.Data;
using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Lamina.Benchmarks.Durable;

/// <summary>
/// The floor a step checkpoint is compared with: one SQLite transaction, with the store's settings (WAL,
/// <c>synchronous=FULL</c>, 8 KB pages, <c>BEGIN IMMEDIATE</c>), inserting one row as large as what a
/// step's checkpoint writes, on the same file system as Lamina's database. One connection stays open with
/// its statement prepared, so only the commit itself is timed.
/// </summary>
internal sealed class RawCommitFloor : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _insert;
    private long _next;

    private RawCommitFloor(SqliteConnection connection, SqliteCommand insert)
    {
        _connection = connection;
        _insert = insert;
    }

    public static async Task<RawCommitFloor> OpenAsync(string path, int rowBytes, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate }.ToString());
        await connection.OpenAsync(cancellationToken);
        foreach (var pragma in new[] { "PRAGMA page_size=8192;", "PRAGMA journal_mode=WAL;", "PRAGMA synchronous=FULL;" })
        {
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = pragma;
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE IF NOT EXISTS checkpoints (arn TEXT NOT NULL, seq INTEGER NOT NULL, body BLOB NOT NULL, PRIMARY KEY (arn, seq)) WITHOUT ROWID;";
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO checkpoints (arn, seq, body) VALUES ($arn, $seq, $body)";
        insert.Parameters.AddWithValue("$arn", "arn:aws:lambda:us-east-1:000000000000:function:bench-durable:$LATEST/durable-execution/floor");
        insert.Parameters.AddWithValue("$seq", 0L);
        // Random bytes, like the sealed (AES-GCM) payloads Lamina writes.
        insert.Parameters.AddWithValue("$body", System.Security.Cryptography.RandomNumberGenerator.GetBytes(Math.Max(1, rowBytes)));
        insert.Prepare();
        return new RawCommitFloor(connection, insert);
    }

    /// <summary>Commits <paramref name="count"/> transactions one after another; returns each one's latency in Stopwatch ticks.</summary>
    public long[] Commit(int count)
    {
        var ticks = new long[count];
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            using (var tx = _connection.BeginTransaction(IsolationLevel.Serializable, deferred: false))
            {
                _insert.Transaction = tx;
                _insert.Parameters["$seq"].Value = _next++;
                _insert.ExecuteNonQuery();
                tx.Commit();
            }

            ticks[i] = Stopwatch.GetTimestamp() - start;
        }

        return ticks;
    }

    public async ValueTask DisposeAsync()
    {
        await _insert.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
