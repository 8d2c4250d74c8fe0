using Lamina.Core.Logs;

namespace Lamina.Storage.Sqlite;

internal sealed partial class SqliteStore : ILogStore
{
    public ILogStore Logs => this;

    /// <summary>
    /// Function log lines are committed without their own fsync. Nobody is answered after they are written (the sink
    /// buffers them off the invoke path, as CloudWatch Logs receives them asynchronously), so a power cut may lose the
    /// last lines, never a killed server. With an fsync per batch, the log writer was about 7% of the server's CPU
    /// under warm invokes at concurrency 1 (perf, 2026-11-23): one small batch, so one fsync, per invoke.
    /// </summary>
    public Task AppendAsync(IReadOnlyList<LogEvent> events, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            await using var cmd = Command(c, tx,
                "INSERT INTO log_events (account_id, log_group, log_stream, timestamp, message) VALUES ($a, $g, $s, $t, $m)");
            var a = cmd.Parameters.Add("$a", Microsoft.Data.Sqlite.SqliteType.Text);
            var g = cmd.Parameters.Add("$g", Microsoft.Data.Sqlite.SqliteType.Text);
            var s = cmd.Parameters.Add("$s", Microsoft.Data.Sqlite.SqliteType.Text);
            var t = cmd.Parameters.Add("$t", Microsoft.Data.Sqlite.SqliteType.Integer);
            var m = cmd.Parameters.Add("$m", Microsoft.Data.Sqlite.SqliteType.Text);
            foreach (var e in events)
            {
                a.Value = e.AccountId;
                g.Value = e.LogGroup;
                s.Value = e.LogStream;
                t.Value = e.Timestamp.ToUnixTimeMilliseconds();
                m.Value = e.Message;
                await cmd.ExecuteNonQueryAsync(cancellationToken);
            }

            return (true, true);
        }, cancellationToken, fsync: false);

    public async Task<IReadOnlyList<(long Sequence, LogEvent Event)>> ReadAsync(string accountId, string logGroup, string? logStream, long afterSequence,
        int limit, CancellationToken cancellationToken) =>
        await ReadAsync(
            "SELECT seq, account_id, log_group, log_stream, timestamp, message FROM log_events " +
            "WHERE account_id = $a AND log_group = $g AND ($s IS NULL OR log_stream = $s) AND seq > $after ORDER BY seq LIMIT $limit",
            r => (r.GetInt64(0), new LogEvent(r.GetString(1), r.GetString(2), r.GetString(3), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)), r.GetString(5))),
            cancellationToken, ("$a", accountId), ("$g", logGroup), ("$s", logStream), ("$after", afterSequence), ("$limit", limit));

    public async Task<IReadOnlyList<(string Stream, DateTimeOffset LastEvent)>> ListStreamsAsync(string accountId, string logGroup,
        CancellationToken cancellationToken) =>
        await ReadAsync(
            "SELECT log_stream, MAX(timestamp) FROM log_events WHERE account_id = $a AND log_group = $g GROUP BY log_stream ORDER BY log_stream",
            r => (r.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1))), cancellationToken, ("$a", accountId), ("$g", logGroup));
}
