using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Lamina.Storage.Sqlite;

internal sealed partial class SqliteStore
{
    /// <summary>
    /// Idle read connections beyond this are closed on return. Reads complete synchronously inside
    /// SQLite, so only a handful are ever out at once; 16 covers bursts without holding many handles.
    /// </summary>
    private const int MaxIdleReaders = 16;

    /// <summary>Distinct statements one reader keeps prepared; every query in this store is a constant, about 25 in all.</summary>
    private const int MaxPreparedPerReader = 64;

    private readonly ConcurrentQueue<Reader> _idleReaders = new();
    private int _idleReaderCount;
    private volatile bool _disposed;

    /// <summary>
    /// A read connection that stays open with its statements prepared. Opening a pooled connection
    /// (which re-runs <c>PRAGMA foreign_keys</c>) and compiling the SQL for every query was most of a
    /// GetFunction's store time: keeping them took GetFunction from about 3,500 to 5,000 requests per
    /// second on one core. A reused statement is only reset and re-bound. Each statement runs in its own
    /// autocommit read transaction that ends when its data reader is disposed, so a reused connection
    /// sees every committed write exactly as a fresh one would.
    /// </summary>
    private sealed class Reader(SqliteConnection connection) : IDisposable
    {
        private readonly Dictionary<string, SqliteCommand> _prepared = new(StringComparer.Ordinal);

        /// <summary>The prepared command for <paramref name="sql"/> with these parameter values; <paramref name="owned"/> when the caller must dispose it.</summary>
        public SqliteCommand Command(string sql, (string Name, object? Value)[] parameters, out bool owned)
        {
            if (!_prepared.TryGetValue(sql, out var command))
            {
                command = SqliteStore.Command(connection, null, sql, parameters);
                owned = _prepared.Count >= MaxPreparedPerReader;
                if (!owned)
                {
                    command.Prepare();
                    _prepared[sql] = command;
                }

                return command;
            }

            owned = false;
            var bound = command.Parameters;
            for (var i = 0; i < parameters.Length; i++)
            {
                var (name, value) = parameters[i];
                var parameter = i < bound.Count && bound[i].ParameterName == name ? bound[i] : bound[name];
                parameter.Value = value ?? DBNull.Value;
            }

            return command;
        }

        public void Dispose()
        {
            foreach (var command in _prepared.Values)
            {
                command.Dispose();
            }

            connection.Dispose();
        }
    }

    private async ValueTask<Reader> RentReaderAsync(CancellationToken cancellationToken)
    {
        if (_idleReaders.TryDequeue(out var reader))
        {
            Interlocked.Decrement(ref _idleReaderCount);
            return reader;
        }

        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        return new Reader(connection);
    }

    private void ReturnReader(Reader reader)
    {
        if (_disposed || Interlocked.Increment(ref _idleReaderCount) > MaxIdleReaders)
        {
            if (!_disposed)
            {
                Interlocked.Decrement(ref _idleReaderCount);
            }

            reader.Dispose();
            return;
        }

        _idleReaders.Enqueue(reader);
        if (_disposed)
        {
            CloseIdleReaders();
        }
    }

    private void CloseIdleReaders()
    {
        _disposed = true;
        while (_idleReaders.TryDequeue(out var reader))
        {
            reader.Dispose();
        }
    }
}
