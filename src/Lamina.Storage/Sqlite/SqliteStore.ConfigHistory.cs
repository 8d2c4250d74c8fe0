using Lamina.Core.Audit;
using Lamina.Core.ConfigHistory;
using Microsoft.Data.Sqlite;

namespace Lamina.Storage.Sqlite;

internal sealed partial class SqliteStore : IConfigHistoryStore
{
    public IConfigHistoryStore ConfigHistory => this;

    /// <summary>Set by the host: how environment variables appear in history (keyed hashes). Without it they appear as null.</summary>
    public IChangeRecorderHooks? ChangeHooks { get; set; }

    private const string ChangeColumns =
        "seq, account_id, resource_type, resource_id, name, qualifier, change_type, captured_at, event_id, event_name, before_state, after_state";

    private static ConfigChange MapChange(SqliteDataReader r) => new()
    {
        Sequence = r.GetInt64(0),
        AccountId = r.GetString(1),
        ResourceType = r.GetString(2),
        ResourceId = r.GetString(3),
        Name = r.GetString(4),
        Qualifier = r.IsDBNull(5) ? null : r.GetString(5),
        ChangeType = r.GetString(6),
        CapturedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)),
        EventId = r.IsDBNull(8) ? null : r.GetString(8),
        EventName = r.IsDBNull(9) ? null : r.GetString(9),
        Before = r.IsDBNull(10) ? null : r.GetString(10),
        After = r.IsDBNull(11) ? null : r.GetString(11),
    };

    public async Task<IReadOnlyList<ConfigChange>> ListAsync(string accountId, string resourceType, string resourceId, DateTimeOffset? earlier,
        DateTimeOffset? later, bool forward, long? afterSequence, int limit, CancellationToken cancellationToken) =>
        await ReadAsync(
            $"SELECT {ChangeColumns} FROM config_history WHERE account_id = $a AND resource_type = $t AND resource_id = $i " +
            "AND captured_at >= $from AND captured_at <= $to " +
            (forward ? "AND seq > $after ORDER BY seq LIMIT $n" : "AND seq < $after ORDER BY seq DESC LIMIT $n"),
            MapChange, cancellationToken, ("$a", accountId), ("$t", resourceType), ("$i", resourceId),
            ("$from", earlier?.ToUnixTimeMilliseconds() ?? long.MinValue), ("$to", later?.ToUnixTimeMilliseconds() ?? long.MaxValue),
            ("$after", afterSequence ?? (forward ? long.MinValue : long.MaxValue)), ("$n", limit));

    /// <summary>
    /// The SQL functions the configuration-history triggers call (021_config_history.sql). Registered on every
    /// connection that writes: a trigger firing on a connection without them fails the write rather than
    /// recording a change without its time.
    /// </summary>
    private void RegisterFunctions(SqliteConnection connection)
    {
        connection.CreateFunction("lamina_now", () => Now);
        connection.CreateFunction("lamina_event_id", () => AuditContext.Current?.EventId);
        connection.CreateFunction("lamina_event_name", () => AuditContext.Current?.EventName);
        connection.CreateFunction("lamina_env_digest", (string accountId, string functionName, byte[] sealedEnvironment) =>
            ChangeHooks?.EnvironmentDigest(accountId, functionName, sealedEnvironment));
    }
}
