using Lamina.Core.Accounts;
using Lamina.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Lamina.Storage.Sqlite;

internal sealed partial class SqliteStore
{
    private static Account MapAccount(SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)));

    private const string KeyColumns =
        "access_key_id, account_id, kind, principal_arn, principal_id, sealed_secret, status, created_at, expires_at, session_token_hash, session_data";

    private static AccessKeyRecord MapKey(SqliteDataReader r) => new()
    {
        AccessKeyId = r.GetString(0),
        AccountId = r.GetString(1),
        Kind = Enum.Parse<PrincipalKind>(r.GetString(2)),
        PrincipalArn = r.GetString(3),
        PrincipalId = r.GetString(4),
        SealedSecret = (byte[])r.GetValue(5),
        Status = r.GetString(6),
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)),
        ExpiresAt = r.IsDBNull(8) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(8)),
        SessionTokenHash = r.IsDBNull(9) ? null : r.GetString(9),
        SessionData = r.IsDBNull(10) ? null : r.GetString(10),
    };

    public Task<Account?> GetAsync(string accountId, CancellationToken cancellationToken) =>
        ReadOneAsync("SELECT id, name, created_at FROM accounts WHERE id = $id", MapAccount, cancellationToken, ("$id", accountId));

    public Task<Account?> FindByNameAsync(string name, CancellationToken cancellationToken) =>
        ReadOneAsync("SELECT id, name, created_at FROM accounts WHERE name = $n", MapAccount, cancellationToken, ("$n", name));

    async Task<IReadOnlyList<Account>> IAccountStore.ListAsync(CancellationToken cancellationToken) =>
        await ReadAsync("SELECT id, name, created_at FROM accounts ORDER BY id", MapAccount, cancellationToken);

    public Task<WriteStatus> CreateAsync(Account account, AccessKeyRecord rootKey, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var clash = await Scalar(c, tx, "SELECT 1 FROM accounts WHERE id = $id OR name = $n", cancellationToken,
                ("$id", account.Id), ("$n", account.Name));
            if (clash is not null)
            {
                return (WriteStatus.AlreadyExists, false);
            }

            await Execute(c, tx, "INSERT INTO accounts (id, name, created_at) VALUES ($id, $n, $t)", cancellationToken,
                ("$id", account.Id), ("$n", account.Name), ("$t", account.CreatedAt.ToUnixTimeMilliseconds()));
            await InsertKey(c, tx, rootKey, cancellationToken);
            return (WriteStatus.Ok, true);
        }, cancellationToken);

    private static Task<int> InsertKey(SqliteConnection c, SqliteTransaction tx, AccessKeyRecord key, CancellationToken cancellationToken) =>
        Execute(c, tx,
            $"INSERT INTO access_keys ({KeyColumns}) VALUES ($id, $acct, $kind, $arn, $pid, $secret, $status, $created, $expires, $token, $data)",
            cancellationToken,
            ("$id", key.AccessKeyId), ("$acct", key.AccountId), ("$kind", key.Kind.ToString()), ("$arn", key.PrincipalArn),
            ("$pid", key.PrincipalId), ("$secret", key.SealedSecret), ("$status", key.Status), ("$created", key.CreatedAt.ToUnixTimeMilliseconds()),
            ("$expires", key.ExpiresAt?.ToUnixTimeMilliseconds()), ("$token", key.SessionTokenHash), ("$data", key.SessionData));

    public Task<AccessKeyRecord?> GetAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken) =>
        ReadOneAsync($"SELECT {KeyColumns} FROM access_keys WHERE access_key_id = $id", MapKey, cancellationToken, ("$id", accessKeyId));

    public async Task<IReadOnlyList<AccessKeyRecord>> ListAccessKeysAsync(string accountId, string principalArn, CancellationToken cancellationToken) =>
        await ReadAsync($"SELECT {KeyColumns} FROM access_keys WHERE account_id = $a AND principal_arn = $p ORDER BY created_at", MapKey,
            cancellationToken, ("$a", accountId), ("$p", principalArn));

    public Task<WriteStatus> PutAccessKeyAsync(AccessKeyRecord key, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var exists = await Scalar(c, tx, "SELECT 1 FROM access_keys WHERE access_key_id = $id", cancellationToken, ("$id", key.AccessKeyId));
            if (exists is not null)
            {
                await Execute(c, tx, "UPDATE access_keys SET status = $s WHERE access_key_id = $id", cancellationToken,
                    ("$s", key.Status), ("$id", key.AccessKeyId));
            }
            else
            {
                await InsertKey(c, tx, key, cancellationToken);
            }

            return (WriteStatus.Ok, true);
        }, cancellationToken);

    public Task<WriteStatus> CreateLongTermKeyAsync(AccessKeyRecord key, string? userName, int maxKeys, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            if (userName is not null && await Scalar(c, tx, "SELECT 1 FROM iam_users WHERE account_id = $a AND user_name = $n", cancellationToken,
                    ("$a", key.AccountId), ("$n", userName)) is null)
            {
                return (WriteStatus.NotFound, false);
            }

            var count = (long)(await Scalar(c, tx,
                "SELECT COUNT(*) FROM access_keys WHERE account_id = $a AND principal_arn = $p AND expires_at IS NULL", cancellationToken,
                ("$a", key.AccountId), ("$p", key.PrincipalArn)))!;
            if (count >= maxKeys)
            {
                return (WriteStatus.Refused, false);
            }

            await InsertKey(c, tx, key, cancellationToken);
            return (WriteStatus.Ok, true);
        }, cancellationToken);

    public Task<WriteStatus> SetAccessKeyStatusAsync(string accessKeyId, string status, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var n = await Execute(c, tx, "UPDATE access_keys SET status = $s WHERE access_key_id = $id", cancellationToken,
                ("$s", status), ("$id", accessKeyId));
            return (n == 0 ? WriteStatus.NotFound : WriteStatus.Ok, n > 0);
        }, cancellationToken);

    public Task<WriteStatus> DeleteAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var n = await Execute(c, tx, "DELETE FROM access_keys WHERE access_key_id = $id", cancellationToken, ("$id", accessKeyId));
            return (n == 0 ? WriteStatus.NotFound : WriteStatus.Ok, n > 0);
        }, cancellationToken);

    public Task<int> PurgeExpiredKeysAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var n = await Execute(c, tx, "DELETE FROM access_keys WHERE expires_at IS NOT NULL AND expires_at < $now", cancellationToken,
                ("$now", now.ToUnixTimeMilliseconds()));
            return (n, true);
        }, cancellationToken);
}
