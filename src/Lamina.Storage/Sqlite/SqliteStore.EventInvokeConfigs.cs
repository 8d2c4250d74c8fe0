using System.Text.Json;
using Lamina.Core.Api.Lambda;
using Lamina.Core.Storage;

namespace Lamina.Storage.Sqlite;

internal sealed partial class SqliteStore
{
    public Task<FunctionEventInvokeConfig?> GetEventInvokeConfigAsync(string accountId, string functionName, string qualifier,
        CancellationToken cancellationToken) =>
        ReadOneAsync("SELECT config FROM event_invoke_configs WHERE account_id = $a AND function_name = $f AND qualifier = $q",
            r => JsonSerializer.Deserialize(r.GetString(0), LambdaJson.Default.FunctionEventInvokeConfig)!, cancellationToken,
            ("$a", accountId), ("$f", functionName), ("$q", qualifier));

    public async Task<IReadOnlyList<(string Qualifier, FunctionEventInvokeConfig Config)>> ListEventInvokeConfigsAsync(string accountId,
        string functionName, CancellationToken cancellationToken) =>
        await ReadAsync("SELECT qualifier, config FROM event_invoke_configs WHERE account_id = $a AND function_name = $f ORDER BY qualifier",
            r => (r.GetString(0), JsonSerializer.Deserialize(r.GetString(1), LambdaJson.Default.FunctionEventInvokeConfig)!), cancellationToken,
            ("$a", accountId), ("$f", functionName));

    public Task<WriteStatus> PutEventInvokeConfigAsync(string accountId, string functionName, string qualifier, FunctionEventInvokeConfig config,
        CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            if (await Scalar(c, tx, "SELECT 1 FROM functions WHERE account_id = $a AND name = $f", cancellationToken,
                    ("$a", accountId), ("$f", functionName)) is null)
            {
                return (WriteStatus.NotFound, false);
            }

            await Execute(c, tx,
                "INSERT INTO event_invoke_configs (account_id, function_name, qualifier, config, last_modified) VALUES ($a, $f, $q, $c, $t) " +
                "ON CONFLICT (account_id, function_name, qualifier) DO UPDATE SET config = excluded.config, last_modified = excluded.last_modified",
                cancellationToken, ("$a", accountId), ("$f", functionName), ("$q", qualifier),
                ("$c", JsonSerializer.Serialize(config, LambdaJson.Default.FunctionEventInvokeConfig)), ("$t", Now));
            return (WriteStatus.Ok, true);
        }, cancellationToken);

    public Task<WriteStatus> DeleteEventInvokeConfigAsync(string accountId, string functionName, string qualifier, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var n = await Execute(c, tx, "DELETE FROM event_invoke_configs WHERE account_id = $a AND function_name = $f AND qualifier = $q",
                cancellationToken, ("$a", accountId), ("$f", functionName), ("$q", qualifier));
            return (n == 0 ? WriteStatus.NotFound : WriteStatus.Ok, n > 0);
        }, cancellationToken);
}
