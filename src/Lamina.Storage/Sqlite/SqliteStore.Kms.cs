using System.Text.Json;
using Lamina.Core.Api.Lambda;
using Lamina.Core.Kms;
using Lamina.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Lamina.Storage.Sqlite;

internal sealed partial class SqliteStore : IKmsStore
{
    private const string KmsKeyColumns =
        "account_id, key_id, created_at, description, state, deletion_date, policy, key_manager, tags, sealed_material, revision";

    private const string KmsAliasColumns = "account_id, alias_name, target_key_id, created_at, updated_at";

    public IKmsStore Kms => this;

    private static KmsKey MapKmsKey(SqliteDataReader r) => new()
    {
        AccountId = r.GetString(0),
        KeyId = r.GetString(1),
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)),
        Description = r.GetString(3),
        State = r.GetString(4),
        DeletionDate = r.IsDBNull(5) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)),
        Policy = r.GetString(6),
        KeyManager = r.GetString(7),
        Tags = [.. JsonSerializer.Deserialize(r.GetString(8), LambdaJson.Default.DictionaryStringString) ?? []],
        SealedMaterial = (byte[])r.GetValue(9),
        Revision = r.GetInt64(10),
    };

    private static KmsAlias MapKmsAlias(SqliteDataReader r) => new()
    {
        AccountId = r.GetString(0),
        AliasName = r.GetString(1),
        TargetKeyId = r.GetString(2),
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)),
        UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)),
    };

    /// <summary>Tags keep their order: a JSON object's members are read back in the order written.</summary>
    private static string KeyTagsJson(IReadOnlyList<KeyValuePair<string, string>> tags) =>
        JsonSerializer.Serialize(new Dictionary<string, string>(tags), LambdaJson.Default.DictionaryStringString);

    private static (string, object?)[] KmsKeyParameters(KmsKey k) =>
    [
        ("$a", k.AccountId), ("$k", k.KeyId), ("$c", k.CreatedAt.ToUnixTimeMilliseconds()), ("$d", k.Description), ("$s", k.State),
        ("$dd", k.DeletionDate?.ToUnixTimeMilliseconds()), ("$p", k.Policy), ("$m", k.KeyManager), ("$t", KeyTagsJson(k.Tags)),
        ("$sm", k.SealedMaterial), ("$r", k.Revision),
    ];

    private const string InsertKmsKey = $"INSERT INTO kms_keys ({KmsKeyColumns}) VALUES ($a, $k, $c, $d, $s, $dd, $p, $m, $t, $sm, $r)";

    public Task<KmsKey?> GetKeyAsync(string accountId, string keyId, CancellationToken cancellationToken) =>
        ReadOneAsync($"SELECT {KmsKeyColumns} FROM kms_keys WHERE account_id = $a AND key_id = $k", MapKmsKey, cancellationToken,
            ("$a", accountId), ("$k", keyId));

    public async Task<IReadOnlyList<KmsKey>> ListKeysAsync(string accountId, string? afterKeyId, int limit, CancellationToken cancellationToken) =>
        await ReadAsync($"SELECT {KmsKeyColumns} FROM kms_keys WHERE account_id = $a AND key_id > $after ORDER BY key_id LIMIT $n", MapKmsKey,
            cancellationToken, ("$a", accountId), ("$after", afterKeyId ?? ""), ("$n", limit));

    public Task<WriteStatus> CreateKeyAsync(KmsKey key, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            if (await Scalar(c, tx, "SELECT 1 FROM kms_keys WHERE account_id = $a AND key_id = $k", cancellationToken,
                    ("$a", key.AccountId), ("$k", key.KeyId)) is not null)
            {
                return (WriteStatus.AlreadyExists, false);
            }

            await Execute(c, tx, InsertKmsKey, cancellationToken, KmsKeyParameters(key));
            return (WriteStatus.Ok, true);
        }, cancellationToken);

    public Task<WriteStatus> CreateKeyWithAliasAsync(KmsKey key, KmsAlias alias, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            if (await Scalar(c, tx, "SELECT 1 FROM kms_aliases WHERE account_id = $a AND alias_name = $n", cancellationToken,
                    ("$a", alias.AccountId), ("$n", alias.AliasName)) is not null)
            {
                return (WriteStatus.AlreadyExists, false);
            }

            await Execute(c, tx, InsertKmsKey, cancellationToken, KmsKeyParameters(key));
            await InsertAliasAsync(c, tx, alias, cancellationToken);
            return (WriteStatus.Ok, true);
        }, cancellationToken);

    public Task<WriteStatus> UpdateKeyAsync(KmsKey key, long expectedRevision, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var n = await Execute(c, tx,
                "UPDATE kms_keys SET description = $d, state = $s, deletion_date = $dd, policy = $p, tags = $t, revision = $r " +
                "WHERE account_id = $a AND key_id = $k AND revision = $expected", cancellationToken,
                [.. KmsKeyParameters(key), ("$expected", expectedRevision)]);
            if (n > 0)
            {
                return (WriteStatus.Ok, true);
            }

            var exists = await Scalar(c, tx, "SELECT 1 FROM kms_keys WHERE account_id = $a AND key_id = $k", cancellationToken,
                ("$a", key.AccountId), ("$k", key.KeyId));
            return (exists is null ? WriteStatus.NotFound : WriteStatus.RevisionMismatch, false);
        }, cancellationToken);

    public Task<WriteStatus> DeleteKeyAsync(string accountId, string keyId, long expectedRevision, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var n = await Execute(c, tx, "DELETE FROM kms_keys WHERE account_id = $a AND key_id = $k AND revision = $r", cancellationToken,
                ("$a", accountId), ("$k", keyId), ("$r", expectedRevision));
            return (n > 0 ? WriteStatus.Ok : WriteStatus.RevisionMismatch, n > 0);
        }, cancellationToken);

    public Task<KmsAlias?> GetAliasAsync(string accountId, string aliasName, CancellationToken cancellationToken) =>
        ReadOneAsync($"SELECT {KmsAliasColumns} FROM kms_aliases WHERE account_id = $a AND alias_name = $n", MapKmsAlias, cancellationToken,
            ("$a", accountId), ("$n", aliasName));

    public async Task<IReadOnlyList<KmsAlias>> ListAliasesAsync(string accountId, string? keyId, string? afterName, int limit,
        CancellationToken cancellationToken) =>
        await ReadAsync(
            $"SELECT {KmsAliasColumns} FROM kms_aliases WHERE account_id = $a AND ($k IS NULL OR target_key_id = $k) AND alias_name > $after " +
            "ORDER BY alias_name LIMIT $n", MapKmsAlias, cancellationToken, ("$a", accountId), ("$k", keyId), ("$after", afterName ?? ""), ("$n", limit));

    public Task<WriteStatus> CreateAliasAsync(KmsAlias alias, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            if (await Scalar(c, tx, "SELECT 1 FROM kms_aliases WHERE account_id = $a AND alias_name = $n", cancellationToken,
                    ("$a", alias.AccountId), ("$n", alias.AliasName)) is not null)
            {
                return (WriteStatus.AlreadyExists, false);
            }

            if (await Scalar(c, tx, "SELECT 1 FROM kms_keys WHERE account_id = $a AND key_id = $k", cancellationToken,
                    ("$a", alias.AccountId), ("$k", alias.TargetKeyId)) is null)
            {
                return (WriteStatus.NotFound, false);
            }

            await InsertAliasAsync(c, tx, alias, cancellationToken);
            return (WriteStatus.Ok, true);
        }, cancellationToken);

    public Task<WriteStatus> UpdateAliasAsync(string accountId, string aliasName, string targetKeyId, DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            if (await Scalar(c, tx, "SELECT 1 FROM kms_keys WHERE account_id = $a AND key_id = $k", cancellationToken,
                    ("$a", accountId), ("$k", targetKeyId)) is null)
            {
                return (WriteStatus.NotFound, false);
            }

            var n = await Execute(c, tx, "UPDATE kms_aliases SET target_key_id = $k, updated_at = $u WHERE account_id = $a AND alias_name = $n",
                cancellationToken, ("$a", accountId), ("$n", aliasName), ("$k", targetKeyId), ("$u", now.ToUnixTimeMilliseconds()));
            return (n > 0 ? WriteStatus.Ok : WriteStatus.NotFound, n > 0);
        }, cancellationToken);

    public Task<WriteStatus> DeleteAliasAsync(string accountId, string aliasName, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var n = await Execute(c, tx, "DELETE FROM kms_aliases WHERE account_id = $a AND alias_name = $n", cancellationToken,
                ("$a", accountId), ("$n", aliasName));
            return (n > 0 ? WriteStatus.Ok : WriteStatus.NotFound, n > 0);
        }, cancellationToken);

    private static Task<int> InsertAliasAsync(SqliteConnection c, SqliteTransaction tx, KmsAlias alias, CancellationToken cancellationToken) =>
        Execute(c, tx, $"INSERT INTO kms_aliases ({KmsAliasColumns}) VALUES ($a, $n, $k, $c, $u)", cancellationToken,
            ("$a", alias.AccountId), ("$n", alias.AliasName), ("$k", alias.TargetKeyId), ("$c", alias.CreatedAt.ToUnixTimeMilliseconds()),
            ("$u", alias.UpdatedAt.ToUnixTimeMilliseconds()));
}
