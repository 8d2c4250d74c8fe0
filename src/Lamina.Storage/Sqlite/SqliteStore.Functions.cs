using System.Text.Json;
using Lamina.Core.Api.Lambda;
using Lamina.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Lamina.Storage.Sqlite;

internal sealed partial class SqliteStore
{
    private const string VersionColumns =
        "v.account_id, v.function_name, v.version_number, v.config, v.sealed_env, v.code_blob, v.content_hash, " +
        // An ordered aggregate (SQLite 3.44+) rather than an ordered sub-select, which ran a co-routine
        // per row: about a fifth of the CPU of reading a 50-function page from the store.
        "(SELECT group_concat(blob_id, ',' ORDER BY position) FROM function_version_layers l " +
        " WHERE l.account_id = v.account_id AND l.function_name = v.function_name AND l.version_number = v.version_number), " +
        "v.revision_id";

    /// <summary>Shared by every store in the process: a key names one row revision, whose content never changes.</summary>
    private static readonly VersionMemo Versions = new();

    private static FunctionVersionRecord MapVersion(SqliteDataReader r) =>
        Versions.Get(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetString(8), r.IsDBNull(4) ? null : (byte[])r.GetValue(4), r, BuildVersion);

    /// <summary>Everything but the sealed environment, which <see cref="VersionMemo"/> sets.</summary>
    private static FunctionVersionRecord BuildVersion(SqliteDataReader r)
    {
        var number = r.GetInt64(2);
        return new FunctionVersionRecord
        {
            AccountId = r.GetString(0),
            FunctionName = r.GetString(1),
            Version = number == 0 ? FunctionVersions.Latest : number.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Config = JsonSerializer.Deserialize(r.GetFieldValue<byte[]>(3), LambdaJson.Default.FunctionConfiguration)
                ?? throw new JsonException("A stored function configuration is the JSON literal null."),
            CodeBlobId = r.GetString(5),
            ContentHash = r.GetString(6),
            LayerBlobIds = r.IsDBNull(7) ? [] : r.GetString(7).Split(','),
        };
    }

    private static FunctionRecord MapFunction(SqliteDataReader r) => new()
    {
        AccountId = r.GetString(0),
        Name = r.GetString(1),
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)),
        ReservedConcurrency = r.IsDBNull(3) ? null : r.GetInt32(3),
        LastVersion = r.GetInt64(4),
        Tags = JsonSerializer.Deserialize(r.GetString(5), LambdaJson.Default.DictionaryStringString)!,
    };

    private static long VersionNumber(string version) =>
        version == FunctionVersions.Latest ? 0 : long.TryParse(version, out var n) ? n : -1;

    public Task<FunctionRecord?> GetFunctionAsync(string accountId, string name, CancellationToken cancellationToken) =>
        ReadOneAsync("SELECT account_id, name, created_at, reserved_concurrency, last_version, tags FROM functions WHERE account_id = $a AND name = $n",
            MapFunction, cancellationToken, ("$a", accountId), ("$n", name));

    public Task<FunctionVersionRecord?> GetVersionAsync(string accountId, string name, string version, CancellationToken cancellationToken) =>
        ReadOneAsync($"SELECT {VersionColumns} FROM function_versions v WHERE v.account_id = $a AND v.function_name = $n AND v.version_number = $v",
            MapVersion, cancellationToken, ("$a", accountId), ("$n", name), ("$v", VersionNumber(version)));

    public async Task<IReadOnlyList<FunctionVersionRecord>> ListLatestAsync(string accountId, string? afterName, int limit, CancellationToken cancellationToken) =>
        await ReadAsync(
            $"SELECT {VersionColumns} FROM function_versions v WHERE v.account_id = $a AND v.version_number = 0 AND v.function_name > $after " +
            "ORDER BY v.function_name LIMIT $limit",
            MapVersion, cancellationToken, ("$a", accountId), ("$after", afterName ?? ""), ("$limit", limit));

    public async Task<IReadOnlyList<FunctionVersionRecord>> ListAllVersionsAsync(string accountId, (string Name, long Version)? after, int limit,
        CancellationToken cancellationToken) =>
        await ReadAsync(
            $"SELECT {VersionColumns} FROM function_versions v WHERE v.account_id = $a " +
            "AND (v.function_name > $n OR (v.function_name = $n AND v.version_number > $v)) ORDER BY v.function_name, v.version_number LIMIT $limit",
            MapVersion, cancellationToken, ("$a", accountId), ("$n", after?.Name ?? ""), ("$v", after?.Version ?? -1), ("$limit", limit));

    public async Task<IReadOnlyList<FunctionVersionRecord>> ListVersionsAsync(string accountId, string name, long? afterVersion, int limit,
        CancellationToken cancellationToken) =>
        await ReadAsync(
            $"SELECT {VersionColumns} FROM function_versions v WHERE v.account_id = $a AND v.function_name = $n AND v.version_number > $after " +
            "ORDER BY v.version_number LIMIT $limit",
            MapVersion, cancellationToken, ("$a", accountId), ("$n", name), ("$after", afterVersion ?? -1), ("$limit", limit));

    /// <summary>
    /// Makes <paramref name="claim"/> referencable inside the transaction: a new blob is inserted unless
    /// the account already has one with the same hash (then the staged file is orphaned and the
    /// existing id used); an existing one must still be there. Returns the id to reference, or null.
    /// </summary>
    private static async Task<string?> ClaimBlobAsync(SqliteConnection c, SqliteTransaction tx, BlobClaim claim, List<string> orphans, long now,
        CancellationToken cancellationToken)
    {
        var blob = claim.Blob;
        if (!claim.IsNew)
        {
            return await Scalar(c, tx, "SELECT id FROM blobs WHERE id = $id", cancellationToken, ("$id", blob.Id)) as string;
        }

        var existing = await Scalar(c, tx, "SELECT id FROM blobs WHERE account_id = $a AND sha256 = $s", cancellationToken,
            ("$a", blob.AccountId), ("$s", blob.Sha256)) as string;
        if (existing is not null)
        {
            orphans.Add(blob.Id);
            return existing;
        }

        await Execute(c, tx, "INSERT INTO blobs (id, account_id, sha256, size, unzipped_size, created_at) VALUES ($id, $a, $s, $size, $u, $t)",
            cancellationToken, ("$id", blob.Id), ("$a", blob.AccountId), ("$s", blob.Sha256), ("$size", blob.Size), ("$u", blob.UnzippedSize),
            ("$t", now));
        return blob.Id;
    }

    /// <summary>Deletes those of <paramref name="candidates"/> that nothing references any more; adds them to <paramref name="orphans"/>.</summary>
    private static async Task ReleaseBlobsAsync(SqliteConnection c, SqliteTransaction tx, IEnumerable<string> candidates, List<string> orphans,
        CancellationToken cancellationToken)
    {
        foreach (var id in candidates.Distinct())
        {
            var deleted = await Execute(c, tx,
                "DELETE FROM blobs WHERE id = $id " +
                "AND NOT EXISTS (SELECT 1 FROM function_versions WHERE code_blob = $id) " +
                "AND NOT EXISTS (SELECT 1 FROM function_version_layers WHERE blob_id = $id) " +
                "AND NOT EXISTS (SELECT 1 FROM layer_versions WHERE code_blob = $id)",
                cancellationToken, ("$id", id));
            if (deleted > 0)
            {
                orphans.Add(id);
            }
        }
    }

    private static async Task InsertVersionAsync(SqliteConnection c, SqliteTransaction tx, FunctionVersionRecord v, string codeBlob,
        CancellationToken cancellationToken)
    {
        await Execute(c, tx,
            "INSERT INTO function_versions (account_id, function_name, version_number, config, sealed_env, code_blob, content_hash, revision_id) " +
            "VALUES ($a, $n, $v, $config, $env, $blob, $hash, $rev)",
            cancellationToken, ("$a", v.AccountId), ("$n", v.FunctionName), ("$v", v.VersionNumber),
            ("$config", JsonSerializer.Serialize(v.Config with { Environment = null }, LambdaJson.Default.FunctionConfiguration)),
            ("$env", v.SealedEnvironment), ("$blob", codeBlob), ("$hash", v.ContentHash), ("$rev", v.RevisionId));
        await InsertLayersAsync(c, tx, v, cancellationToken);
    }

    private static async Task InsertLayersAsync(SqliteConnection c, SqliteTransaction tx, FunctionVersionRecord v, CancellationToken cancellationToken)
    {
        for (var i = 0; i < v.LayerBlobIds.Count; i++)
        {
            await Execute(c, tx,
                "INSERT INTO function_version_layers (account_id, function_name, version_number, position, blob_id) VALUES ($a, $n, $v, $p, $b)",
                cancellationToken, ("$a", v.AccountId), ("$n", v.FunctionName), ("$v", v.VersionNumber), ("$p", i), ("$b", v.LayerBlobIds[i]));
        }
    }

    /// <summary>Layer blobs must still exist when a version references them (a layer delete may race).</summary>
    private static async Task<bool> LayerBlobsExistAsync(SqliteConnection c, SqliteTransaction tx, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        foreach (var id in ids)
        {
            if (await Scalar(c, tx, "SELECT 1 FROM blobs WHERE id = $id", cancellationToken, ("$id", id)) is null)
            {
                return false;
            }
        }

        return true;
    }

    public Task<WriteResult> CreateAsync(FunctionRecord function, FunctionVersionRecord latest, FunctionVersionRecord? published, BlobClaim code,
        CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var orphans = new List<string>();
            var exists = await Scalar(c, tx, "SELECT 1 FROM functions WHERE account_id = $a AND name = $n", cancellationToken,
                ("$a", function.AccountId), ("$n", function.Name));
            if (exists is not null)
            {
                return (Refuse(WriteStatus.AlreadyExists, code), false);
            }

            var blobId = await ClaimBlobAsync(c, tx, code, orphans, Now, cancellationToken);
            if (blobId is null || !await LayerBlobsExistAsync(c, tx, latest.LayerBlobIds, cancellationToken))
            {
                return (Refuse(WriteStatus.BlobGone, code), false);
            }

            await Execute(c, tx,
                "INSERT INTO functions (account_id, name, created_at, reserved_concurrency, last_version, tags) VALUES ($a, $n, $t, $r, $last, $tags)",
                cancellationToken, ("$a", function.AccountId), ("$n", function.Name), ("$t", function.CreatedAt.ToUnixTimeMilliseconds()),
                ("$r", function.ReservedConcurrency), ("$last", function.LastVersion),
                ("$tags", JsonSerializer.Serialize(new Dictionary<string, string>(function.Tags), LambdaJson.Default.DictionaryStringString)));
            await InsertVersionAsync(c, tx, latest, blobId, cancellationToken);
            if (published is not null)
            {
                await InsertVersionAsync(c, tx, published, blobId, cancellationToken);
            }

            return (new WriteResult(WriteStatus.Ok, orphans), true);
        }, cancellationToken);

    /// <summary>A refused write orphans the file it staged.</summary>
    private static WriteResult Refuse(WriteStatus status, BlobClaim? claim, string? detail = null) =>
        new(status, claim is { IsNew: true } ? [claim.Blob.Id] : [], detail);

    public Task<WriteResult> UpdateLatestAsync(FunctionVersionRecord latest, string expectedRevisionId, BlobClaim? code,
        Func<long, FunctionVersionRecord>? publish, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var orphans = new List<string>();
            var current = (await Query(c, tx,
                $"SELECT {VersionColumns} FROM function_versions v WHERE v.account_id = $a AND v.function_name = $n AND v.version_number = 0",
                MapVersion, cancellationToken, ("$a", latest.AccountId), ("$n", latest.FunctionName))).FirstOrDefault();
            if (current is null)
            {
                return (Refuse(WriteStatus.NotFound, code), false);
            }

            if (current.RevisionId != expectedRevisionId)
            {
                return (Refuse(WriteStatus.RevisionMismatch, code), false);
            }

            var blobId = current.CodeBlobId;
            if (code is not null)
            {
                blobId = await ClaimBlobAsync(c, tx, code, orphans, Now, cancellationToken);
                if (blobId is null)
                {
                    return (Refuse(WriteStatus.BlobGone, code), false);
                }
            }

            if (!await LayerBlobsExistAsync(c, tx, latest.LayerBlobIds, cancellationToken))
            {
                return (Refuse(WriteStatus.BlobGone, code), false);
            }

            await Execute(c, tx,
                "UPDATE function_versions SET config = $config, sealed_env = $env, code_blob = $blob, content_hash = $hash, revision_id = $rev " +
                "WHERE account_id = $a AND function_name = $n AND version_number = 0",
                cancellationToken, ("$a", latest.AccountId), ("$n", latest.FunctionName),
                ("$config", JsonSerializer.Serialize(latest.Config with { Environment = null }, LambdaJson.Default.FunctionConfiguration)),
                ("$env", latest.SealedEnvironment), ("$blob", blobId), ("$hash", latest.ContentHash), ("$rev", latest.RevisionId));
            await Execute(c, tx, "DELETE FROM function_version_layers WHERE account_id = $a AND function_name = $n AND version_number = 0",
                cancellationToken, ("$a", latest.AccountId), ("$n", latest.FunctionName));
            await InsertLayersAsync(c, tx, latest, cancellationToken);

            string? publishedVersion = null;
            if (publish is not null)
            {
                var number = await NextVersionAsync(c, tx, latest.AccountId, latest.FunctionName, cancellationToken);
                var version = publish(number);
                await InsertVersionAsync(c, tx, version, blobId, cancellationToken);
                publishedVersion = version.Version;
            }

            await ReleaseBlobsAsync(c, tx, current.LayerBlobIds.Append(current.CodeBlobId), orphans, cancellationToken);
            return (new WriteResult(WriteStatus.Ok, orphans, publishedVersion), true);
        }, cancellationToken);

    private static async Task<long> NextVersionAsync(SqliteConnection c, SqliteTransaction tx, string accountId, string name, CancellationToken cancellationToken)
    {
        var number = (long)(await Scalar(c, tx, "UPDATE functions SET last_version = last_version + 1 WHERE account_id = $a AND name = $n RETURNING last_version",
            cancellationToken, ("$a", accountId), ("$n", name)))!;
        return number;
    }

    public Task<(WriteResult Result, FunctionVersionRecord? Version)> PublishAsync(string accountId, string name, string? expectedRevisionId,
        Func<FunctionVersionRecord, long, FunctionVersionRecord> build, CancellationToken cancellationToken) =>
        WriteAsync<(WriteResult, FunctionVersionRecord?)>(async (c, tx) =>
        {
            var latest = (await Query(c, tx,
                $"SELECT {VersionColumns} FROM function_versions v WHERE v.account_id = $a AND v.function_name = $n AND v.version_number = 0",
                MapVersion, cancellationToken, ("$a", accountId), ("$n", name))).FirstOrDefault();
            if (latest is null)
            {
                return ((WriteStatus.NotFound, null), false);
            }

            if (expectedRevisionId is not null && expectedRevisionId != latest.RevisionId)
            {
                return ((WriteStatus.RevisionMismatch, null), false);
            }

            // Nothing changed since the newest version: AWS returns that version instead of a new one.
            var newest = (await Query(c, tx,
                $"SELECT {VersionColumns} FROM function_versions v WHERE v.account_id = $a AND v.function_name = $n AND v.version_number > 0 " +
                "ORDER BY v.version_number DESC LIMIT 1",
                MapVersion, cancellationToken, ("$a", accountId), ("$n", name))).FirstOrDefault();
            if (newest is not null && newest.ContentHash == latest.ContentHash)
            {
                return ((WriteResult.Success, newest), false);
            }

            var number = await NextVersionAsync(c, tx, accountId, name, cancellationToken);
            var version = build(latest, number);
            await InsertVersionAsync(c, tx, version, latest.CodeBlobId, cancellationToken);
            return ((WriteResult.Success, version), true);
        }, cancellationToken);

    public Task<WriteResult> DeleteFunctionAsync(string accountId, string name, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var blobs = await Query(c, tx,
                "SELECT code_blob FROM function_versions WHERE account_id = $a AND function_name = $n " +
                "UNION SELECT blob_id FROM function_version_layers WHERE account_id = $a AND function_name = $n",
                r => r.GetString(0), cancellationToken, ("$a", accountId), ("$n", name));
            var deleted = await Execute(c, tx, "DELETE FROM functions WHERE account_id = $a AND name = $n", cancellationToken,
                ("$a", accountId), ("$n", name));
            if (deleted == 0)
            {
                return ((WriteResult)WriteStatus.NotFound, false);
            }

            var orphans = new List<string>();
            await ReleaseBlobsAsync(c, tx, blobs, orphans, cancellationToken);
            return (new WriteResult(WriteStatus.Ok, orphans), true);
        }, cancellationToken);

    public Task<WriteResult> DeleteVersionAsync(string accountId, string name, string version, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var number = VersionNumber(version);
            var aliases = await Query(c, tx,
                "SELECT name FROM aliases WHERE account_id = $a AND function_name = $n AND (function_version = $v OR config LIKE $weighted) ORDER BY name",
                r => r.GetString(0), cancellationToken, ("$a", accountId), ("$n", name), ("$v", version), ("$weighted", $"%\"{version}\":%"));
            var blobs = await Query(c, tx,
                "SELECT code_blob FROM function_versions WHERE account_id = $a AND function_name = $n AND version_number = $v " +
                "UNION SELECT blob_id FROM function_version_layers WHERE account_id = $a AND function_name = $n AND version_number = $v",
                r => r.GetString(0), cancellationToken, ("$a", accountId), ("$n", name), ("$v", number));
            if (blobs.Count == 0)
            {
                return ((WriteResult)WriteStatus.NotFound, false);
            }

            if (aliases.Count > 0)
            {
                return (new WriteResult(WriteStatus.Refused, [], string.Join(", ", aliases)), false);
            }

            await Execute(c, tx, "DELETE FROM provisioned_concurrency WHERE account_id = $a AND function_name = $n AND qualifier = $v",
                cancellationToken, ("$a", accountId), ("$n", name), ("$v", version));
            await Execute(c, tx, "DELETE FROM function_versions WHERE account_id = $a AND function_name = $n AND version_number = $v",
                cancellationToken, ("$a", accountId), ("$n", name), ("$v", number));
            var orphans = new List<string>();
            await ReleaseBlobsAsync(c, tx, blobs, orphans, cancellationToken);
            return (new WriteResult(WriteStatus.Ok, orphans), true);
        }, cancellationToken);

    public Task<WriteStatus> ChangeTagsAsync(string accountId, string name, IReadOnlyDictionary<string, string> set, IReadOnlyCollection<string> remove,
        int maxTags, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            if (await Scalar(c, tx, "SELECT tags FROM functions WHERE account_id = $a AND name = $n", cancellationToken,
                    ("$a", accountId), ("$n", name)) is not string json)
            {
                return (WriteStatus.NotFound, false);
            }

            var tags = JsonSerializer.Deserialize(json, LambdaJson.Default.DictionaryStringString) ?? [];
            foreach (var (key, value) in set)
            {
                tags[key] = value;
            }

            foreach (var key in remove)
            {
                tags.Remove(key);
            }

            if (tags.Count > maxTags)
            {
                return (WriteStatus.Refused, false);
            }

            await Execute(c, tx, "UPDATE functions SET tags = $tags WHERE account_id = $a AND name = $n", cancellationToken,
                ("$a", accountId), ("$n", name), ("$tags", JsonSerializer.Serialize(tags, LambdaJson.Default.DictionaryStringString)));
            return (WriteStatus.Ok, true);
        }, cancellationToken);

    public Task<WriteResult> SetReservedConcurrencyAsync(string accountId, string name, int? value, int maxReservable, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var exists = await Scalar(c, tx, "SELECT 1 FROM functions WHERE account_id = $a AND name = $n", cancellationToken,
                ("$a", accountId), ("$n", name));
            if (exists is null)
            {
                return ((WriteResult)WriteStatus.NotFound, false);
            }

            if (value is not null)
            {
                var others = (long)(await Scalar(c, tx,
                    "SELECT COALESCE(SUM(reserved_concurrency), 0) FROM functions WHERE account_id = $a AND name <> $n", cancellationToken,
                    ("$a", accountId), ("$n", name)))!;
                if (others + value > maxReservable)
                {
                    return ((WriteResult)WriteStatus.Refused, false);
                }
            }

            await Execute(c, tx, "UPDATE functions SET reserved_concurrency = $r WHERE account_id = $a AND name = $n", cancellationToken,
                ("$a", accountId), ("$n", name), ("$r", value));
            return (WriteResult.Success, true);
        }, cancellationToken);

    public async Task<int> SumReservedConcurrencyAsync(string accountId, CancellationToken cancellationToken) =>
        (int)(await ReadAsync("SELECT COALESCE(SUM(reserved_concurrency), 0) FROM functions WHERE account_id = $a", r => r.GetInt64(0),
            cancellationToken, ("$a", accountId)))[0];

    public async Task<(int? Reserved, int AccountReserved)?> GetConcurrencyAsync(string accountId, string name, CancellationToken cancellationToken) =>
        (await ReadAsync(
            "SELECT reserved_concurrency, (SELECT COALESCE(SUM(reserved_concurrency), 0) FROM functions WHERE account_id = $a) " +
            "FROM functions WHERE account_id = $a AND name = $n",
            r => ((int?)(r.IsDBNull(0) ? null : r.GetInt32(0)), (int)r.GetInt64(1)), cancellationToken, ("$a", accountId), ("$n", name)))
        .Select(row => ((int? Reserved, int AccountReserved)?)row).FirstOrDefault();

    public async Task<(long TotalCodeSize, long FunctionCount)> GetUsageAsync(string accountId, CancellationToken cancellationToken)
    {
        var row = (await ReadAsync(
            "SELECT (SELECT COALESCE(SUM(size), 0) FROM blobs WHERE account_id = $a), (SELECT COUNT(*) FROM functions WHERE account_id = $a)",
            r => (r.GetInt64(0), r.GetInt64(1)), cancellationToken, ("$a", accountId)))[0];
        return row;
    }
}
