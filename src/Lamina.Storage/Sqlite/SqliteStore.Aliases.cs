using System.Text.Json;
using Lamina.Core.Api.Lambda;
using Lamina.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Lamina.Storage.Sqlite;

internal sealed partial class SqliteStore
{
    private static AliasRecord MapAlias(SqliteDataReader r) => new()
    {
        AccountId = r.GetString(0),
        FunctionName = r.GetString(1),
        Config = JsonSerializer.Deserialize(r.GetString(2), LambdaJson.Default.AliasConfiguration)!,
    };

    public Task<AliasRecord?> GetAliasAsync(string accountId, string functionName, string alias, CancellationToken cancellationToken) =>
        ReadOneAsync("SELECT account_id, function_name, config FROM aliases WHERE account_id = $a AND function_name = $f AND name = $n",
            MapAlias, cancellationToken, ("$a", accountId), ("$f", functionName), ("$n", alias));

    public async Task<IReadOnlyList<AliasRecord>> ListAliasesAsync(string accountId, string functionName, string? functionVersion, string? afterName,
        int limit, CancellationToken cancellationToken) =>
        await ReadAsync(
            "SELECT account_id, function_name, config FROM aliases WHERE account_id = $a AND function_name = $f AND name > $after " +
            "AND ($v IS NULL OR function_version = $v) ORDER BY name LIMIT $limit",
            MapAlias, cancellationToken, ("$a", accountId), ("$f", functionName), ("$after", afterName ?? ""), ("$v", functionVersion),
            ("$limit", limit));

    public Task<WriteStatus> CreateAliasAsync(AliasRecord alias, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            if (await Scalar(c, tx, "SELECT 1 FROM functions WHERE account_id = $a AND name = $f", cancellationToken,
                    ("$a", alias.AccountId), ("$f", alias.FunctionName)) is null)
            {
                return (WriteStatus.NotFound, false);
            }

            if (await Scalar(c, tx, "SELECT 1 FROM aliases WHERE account_id = $a AND function_name = $f AND name = $n", cancellationToken,
                    ("$a", alias.AccountId), ("$f", alias.FunctionName), ("$n", alias.Name)) is not null)
            {
                return (WriteStatus.AlreadyExists, false);
            }

            await Execute(c, tx,
                "INSERT INTO aliases (account_id, function_name, name, function_version, config, revision_id) VALUES ($a, $f, $n, $v, $c, $r)",
                cancellationToken, ("$a", alias.AccountId), ("$f", alias.FunctionName), ("$n", alias.Name), ("$v", alias.Config.FunctionVersion),
                ("$c", JsonSerializer.Serialize(alias.Config, LambdaJson.Default.AliasConfiguration)), ("$r", alias.Config.RevisionId));
            return (WriteStatus.Ok, true);
        }, cancellationToken);

    public Task<WriteStatus> UpdateAliasAsync(AliasRecord alias, string? expectedRevisionId, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var current = await Scalar(c, tx, "SELECT revision_id FROM aliases WHERE account_id = $a AND function_name = $f AND name = $n",
                cancellationToken, ("$a", alias.AccountId), ("$f", alias.FunctionName), ("$n", alias.Name)) as string;
            if (current is null)
            {
                return (WriteStatus.NotFound, false);
            }

            if (expectedRevisionId is not null && expectedRevisionId != current)
            {
                return (WriteStatus.RevisionMismatch, false);
            }

            await Execute(c, tx,
                "UPDATE aliases SET function_version = $v, config = $c, revision_id = $r WHERE account_id = $a AND function_name = $f AND name = $n",
                cancellationToken, ("$a", alias.AccountId), ("$f", alias.FunctionName), ("$n", alias.Name), ("$v", alias.Config.FunctionVersion),
                ("$c", JsonSerializer.Serialize(alias.Config, LambdaJson.Default.AliasConfiguration)), ("$r", alias.Config.RevisionId));
            return (WriteStatus.Ok, true);
        }, cancellationToken);

    public Task<WriteStatus> DeleteAliasAsync(string accountId, string functionName, string alias, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            await Execute(c, tx, "DELETE FROM provisioned_concurrency WHERE account_id = $a AND function_name = $f AND qualifier = $n",
                cancellationToken, ("$a", accountId), ("$f", functionName), ("$n", alias));
            var n = await Execute(c, tx, "DELETE FROM aliases WHERE account_id = $a AND function_name = $f AND name = $n", cancellationToken,
                ("$a", accountId), ("$f", functionName), ("$n", alias));
            return (n == 0 ? WriteStatus.NotFound : WriteStatus.Ok, true);
        }, cancellationToken);

    private static ProvisionedConcurrencyRecord MapProvisioned(SqliteDataReader r) => new()
    {
        AccountId = r.GetString(0),
        FunctionName = r.GetString(1),
        Qualifier = r.GetString(2),
        Requested = r.GetInt32(3),
        Allocated = r.GetInt32(4),
        Status = r.GetString(5),
        StatusReason = r.IsDBNull(6) ? null : r.GetString(6),
        LastModified = r.GetString(7),
    };

    private const string ProvisionedColumns = "account_id, function_name, qualifier, requested, allocated, status, status_reason, last_modified";

    public Task<ProvisionedConcurrencyRecord?> GetProvisionedAsync(string accountId, string functionName, string qualifier, CancellationToken cancellationToken) =>
        ReadOneAsync($"SELECT {ProvisionedColumns} FROM provisioned_concurrency WHERE account_id = $a AND function_name = $f AND qualifier = $q",
            MapProvisioned, cancellationToken, ("$a", accountId), ("$f", functionName), ("$q", qualifier));

    public async Task<IReadOnlyList<ProvisionedConcurrencyRecord>> ListProvisionedAsync(string accountId, string? functionName,
        CancellationToken cancellationToken) =>
        await ReadAsync(
            $"SELECT {ProvisionedColumns} FROM provisioned_concurrency WHERE account_id = $a AND ($f IS NULL OR function_name = $f) " +
            "ORDER BY function_name, qualifier",
            MapProvisioned, cancellationToken, ("$a", accountId), ("$f", functionName));

    public Task PutProvisionedAsync(ProvisionedConcurrencyRecord record, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            await Execute(c, tx,
                $"INSERT INTO provisioned_concurrency ({ProvisionedColumns}) VALUES ($a, $f, $q, $req, $alloc, $s, $reason, $t) " +
                "ON CONFLICT (account_id, function_name, qualifier) DO UPDATE SET requested = excluded.requested, allocated = excluded.allocated, " +
                "status = excluded.status, status_reason = excluded.status_reason, last_modified = excluded.last_modified",
                cancellationToken, ("$a", record.AccountId), ("$f", record.FunctionName), ("$q", record.Qualifier), ("$req", record.Requested),
                ("$alloc", record.Allocated), ("$s", record.Status), ("$reason", record.StatusReason), ("$t", record.LastModified));
            return (true, true);
        }, cancellationToken);

    public async Task<IReadOnlyList<ProvisionedConcurrencyRecord>> ListAllProvisionedAsync(CancellationToken cancellationToken) =>
        await ReadAsync($"SELECT {ProvisionedColumns} FROM provisioned_concurrency ORDER BY account_id, function_name, qualifier", MapProvisioned,
            cancellationToken);

    public Task<bool> UpdateProvisionedStatusAsync(ProvisionedConcurrencyRecord record, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var n = await Execute(c, tx,
                "UPDATE provisioned_concurrency SET allocated = $alloc, status = $s, status_reason = $reason " +
                "WHERE account_id = $a AND function_name = $f AND qualifier = $q AND requested = $req AND last_modified = $t",
                cancellationToken, ("$a", record.AccountId), ("$f", record.FunctionName), ("$q", record.Qualifier), ("$req", record.Requested),
                ("$alloc", record.Allocated), ("$s", record.Status), ("$reason", record.StatusReason), ("$t", record.LastModified));
            return (n > 0, n > 0);
        }, cancellationToken);

    public Task<bool> DeleteProvisionedAsync(string accountId, string functionName, string qualifier, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var n = await Execute(c, tx, "DELETE FROM provisioned_concurrency WHERE account_id = $a AND function_name = $f AND qualifier = $q",
                cancellationToken, ("$a", accountId), ("$f", functionName), ("$q", qualifier));
            return (n > 0, true);
        }, cancellationToken);
}
