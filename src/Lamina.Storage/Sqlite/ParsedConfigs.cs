using System.Collections.Concurrent;
using System.Text.Json;
using Lamina.Core.Api.Lambda;
using Microsoft.Data.Sqlite;

namespace Lamina.Storage.Sqlite;

/// <summary>
/// Function configurations already parsed, keyed by the row they came from and its <c>revision_id</c>. A hit
/// skips fetching the configuration column as well as parsing it; a miss reads the bytes and parses them.
/// </summary>
/// <remarks>
/// Why the revision is a sound key: every write of a <c>function_versions</c> row stores a new RevisionId
/// (<c>LambdaTime.NewRevisionId()</c>, a random UUID) in <c>revision_id</c> in the same statement as the
/// configuration (the one UPDATE and the INSERTs in SqliteStore.Functions.cs), so one (account, function,
/// version, revision) names exactly one stored configuration; a deleted and recreated function gets a new
/// revision too. Keyed by content instead (the previous design), every read copied the ~900-byte column out
/// of SQLite, hashed and compared it: about a seventh of the CPU of a 50-function ListFunctions page (perf,
/// 2026-11-23). Parsing costs about 3 µs per configuration (35 members through the init-only constructor path).
/// Parsed records are shared between readers and, like every store record, must not be mutated (their members
/// are init-only; their lists are never changed in place). Bounded: past <see cref="MaxEntries"/> the memo
/// starts over.
/// </remarks>
internal sealed class ParsedConfigs
{
    /// <summary>About 3 KB each (record plus key), so at most about 6 MB.</summary>
    public const int MaxEntries = 2048;

    private readonly ConcurrentDictionary<Key, FunctionConfiguration> _byRevision = new();
    private int _count;

    /// <summary>The configuration of the current row: from the memo, or parsed from column <paramref name="configOrdinal"/>.</summary>
    public FunctionConfiguration Get(SqliteDataReader reader, string accountId, string functionName, long version, string revisionId, int configOrdinal)
    {
        var key = new Key(accountId, functionName, version, revisionId);
        if (_byRevision.TryGetValue(key, out var config))
        {
            return config;
        }

        config = JsonSerializer.Deserialize(reader.GetFieldValue<byte[]>(configOrdinal), LambdaJson.Default.FunctionConfiguration)
            ?? throw new JsonException("A stored function configuration is the JSON literal null.");
        if (Interlocked.Increment(ref _count) > MaxEntries)
        {
            _byRevision.Clear();
            Interlocked.Exchange(ref _count, 1);
        }

        _byRevision.TryAdd(key, config);
        return config;
    }

    private readonly record struct Key(string AccountId, string FunctionName, long Version, string RevisionId);
}
