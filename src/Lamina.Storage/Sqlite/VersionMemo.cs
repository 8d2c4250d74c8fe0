using System.Collections.Concurrent;
using Lamina.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Lamina.Storage.Sqlite;

/// <summary>
/// Function version records already read, keyed by the row they came from and its <c>revision_id</c>. A hit skips
/// fetching the configuration, code blob, content hash and layers and parsing the configuration; a miss reads and
/// builds the record. The sealed environment is always read afresh: re-sealing under a new key
/// (<c>SqliteStore.Sealed.cs</c>, master-key rotation) rewrites that one column and keeps the revision.
/// </summary>
/// <remarks>
/// Why the revision is a sound key: every write of a <c>function_versions</c> row stores a new RevisionId
/// (<c>LambdaTime.NewRevisionId()</c>, a random UUID) in <c>revision_id</c> in the same statement as every other column
/// but <c>sealed_env</c> (above), and the row's layers are replaced in the same transaction (the one UPDATE and the INSERTs in SqliteStore.Functions.cs),
/// so one (account, function, version, revision) names exactly one stored record; a deleted and recreated function gets a
/// new revision too. Keyed by the configuration's bytes instead (the previous design), every read copied the ~900-byte
/// column out of SQLite, hashed and compared it, and still read the other columns: the row-to-record step was 15% of the
/// server's CPU on a 50-function ListFunctions page, 11% keyed by revision with the other columns still read, and most of
/// what is left is the four column reads of the key (perf, 2026-11-23). Parsing a configuration costs about 3 µs
/// (35 members through the init-only constructor path). Records are shared between readers and, like every store record,
/// must not be mutated (their members are init-only; their lists and arrays are never changed in place). Bounded: past
/// <see cref="MaxEntries"/> the memo starts over.
/// </remarks>
internal sealed class VersionMemo
{
    /// <summary>About 3 KB each (record plus key), so at most about 6 MB.</summary>
    public const int MaxEntries = 2048;

    private readonly ConcurrentDictionary<Key, FunctionVersionRecord> _byRevision = new();
    private int _count;

    /// <summary>
    /// The record of the reader's current row: from the memo, or built by <paramref name="build"/>; either way with the
    /// row's <paramref name="sealedEnvironment"/>.
    /// </summary>
    public FunctionVersionRecord Get(string accountId, string functionName, long version, string revisionId, byte[]? sealedEnvironment,
        SqliteDataReader reader, Func<SqliteDataReader, FunctionVersionRecord> build)
    {
        var key = new Key(accountId, functionName, version, revisionId);
        if (_byRevision.TryGetValue(key, out var record))
        {
            if (SameBytes(record.SealedEnvironment, sealedEnvironment))
            {
                return record;
            }

            record = record with { SealedEnvironment = sealedEnvironment };
            _byRevision[key] = record;
            return record;
        }

        record = build(reader) with { SealedEnvironment = sealedEnvironment };
        if (Interlocked.Increment(ref _count) > MaxEntries)
        {
            _byRevision.Clear();
            Interlocked.Exchange(ref _count, 1);
        }

        _byRevision.TryAdd(key, record);
        return record;
    }

    private static bool SameBytes(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    private readonly record struct Key(string AccountId, string FunctionName, long Version, string RevisionId);
}
