namespace Lamina.Core.ConfigHistory;

/// <summary>
/// Reads configuration history. It is written by the store itself, in the transaction of each change
/// (SQLite triggers), so no caller can forget to record one.
/// </summary>
internal interface IConfigHistoryStore
{
    /// <summary>
    /// Changes of one resource captured in [<paramref name="earlier"/>, <paramref name="later"/>], oldest first when
    /// <paramref name="forward"/> (else newest first), after the change with sequence <paramref name="afterSequence"/>.
    /// </summary>
    Task<IReadOnlyList<ConfigChange>> ListAsync(string accountId, string resourceType, string resourceId, DateTimeOffset? earlier,
        DateTimeOffset? later, bool forward, long? afterSequence, int limit, CancellationToken cancellationToken);
}

/// <summary>What the store asks of the host while it records a change.</summary>
internal interface IChangeRecorderHooks
{
    /// <summary>
    /// The environment of a function version as it may appear in history: variable names with keyed hashes of
    /// their values (JSON <c>{"Variables":{...}}</c>), or null when it cannot be opened.
    /// </summary>
    string? EnvironmentDigest(string accountId, string functionName, byte[] sealedEnvironment);
}
