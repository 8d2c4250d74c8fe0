using System.Runtime.CompilerServices;
using Lamina.Core.Crypto;

namespace Lamina.Storage.Sqlite;

/// <remarks>
/// Each kind of sealed value is read in pages by its key, so a rotation over a large store holds no
/// long read transaction; replacing a value is a compare-and-swap on its bytes, so a concurrent
/// writer's new value is never overwritten with a re-wrapped old one.
/// </remarks>
internal sealed partial class SqliteStore : ISealedCells
{
    private const int SealedPage = 500;

    public ISealedCells Sealed => this;

    /// <summary>The execution payload columns and the purpose each is sealed for.</summary>
    private static readonly (string Column, string Purpose)[] DurablePayloads =
        [("input", "input"), ("result", "result"), ("error", "error"), ("pending_outcome", "outcome")];

    private static string DurableColumn(string purpose) => DurablePayloads.First(p => p.Purpose == purpose).Column;

    private static (string Table, string Column, string Where) Locate(SealedCell cell) => cell.Kind == SealedKind.DurableExecutionPayload
        ? ("durable_executions", DurableColumn(cell.Id), "arn = $a")
        : Locate(cell.Kind);

    private static (string Table, string Column, string Where) Locate(SealedKind kind) => kind switch
    {
        SealedKind.DurableOperation => ("durable_operations", "details", "arn = $a AND id = $id"),
        SealedKind.DurableHistoryEvent => ("durable_history", "event", "arn = $a AND event_id = $v"),
        SealedKind.DurableCheckpoint => ("durable_checkpoints", "response", "arn = $a AND client_token = $id"),
        SealedKind.AccessKeySecret => ("access_keys", "sealed_secret", "access_key_id = $id"),
        SealedKind.FunctionEnvironment => ("function_versions", "sealed_env", "account_id = $a AND function_name = $id AND version_number = $v"),
        SealedKind.AsyncPayload => ("async_events", "payload", "id = $id"),
        SealedKind.KmsKeyMaterial => ("kms_keys", "sealed_material", "account_id = $a AND key_id = $id"),
        SealedKind.AuditSigningKey => ("audit_keys", "sealed_private_key", "fingerprint = $id"),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public async IAsyncEnumerable<SealedCell> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var (column, purpose) in DurablePayloads)
        {
            await foreach (var cell in PagesAsync(SealedKind.DurableExecutionPayload, "durable_executions", column, "arn",
                               $"arn, '{purpose}', 0", cancellationToken))
            {
                yield return cell;
            }
        }

        foreach (var kind in Enum.GetValues<SealedKind>().Where(k => k != SealedKind.DurableExecutionPayload))
        {
            var (table, column, _) = Locate(kind);
            var (key, select) = kind switch
            {
                SealedKind.DurableOperation => ("arn || '/' || id", "arn, id, 0"),
                SealedKind.DurableHistoryEvent => ("arn || '/' || printf('%012d', event_id)", "arn, '', event_id"),
                SealedKind.DurableCheckpoint => ("arn || '/' || client_token", "arn, client_token, 0"),
                SealedKind.AccessKeySecret => ("access_key_id", "account_id, access_key_id, 0"),
                SealedKind.FunctionEnvironment => ("account_id || '/' || function_name || '/' || version_number", "account_id, function_name, version_number"),
                SealedKind.AsyncPayload => ("id", "account_id, id, 0"),
                SealedKind.AuditSigningKey => ("fingerprint", "'', fingerprint, 0"),
                _ => ("account_id || '/' || key_id", "account_id, key_id, 0"),
            };
            await foreach (var cell in PagesAsync(kind, table, column, key, select, cancellationToken))
            {
                yield return cell;
            }
        }
    }

    /// <summary>One kind of sealed value, read in pages ordered by <paramref name="key"/>.</summary>
    private async IAsyncEnumerable<SealedCell> PagesAsync(SealedKind kind, string table, string column, string key, string select,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var after = "";
        while (true)
        {
            var page = await ReadAsync(
                $"SELECT {select}, {column}, {key} FROM {table} WHERE {column} IS NOT NULL AND {key} > $after ORDER BY {key} LIMIT {SealedPage}",
                r => (Cell: new SealedCell(kind, r.GetString(0), r.GetString(1), r.GetInt64(2), (byte[])r.GetValue(3)), Key: r.GetString(4)),
                cancellationToken, ("$after", after));
            foreach (var (cell, _) in page)
            {
                yield return cell;
            }

            if (page.Count < SealedPage)
            {
                break;
            }

            after = page[^1].Key;
        }
    }

    public Task<bool> ReplaceAsync(SealedCell cell, byte[] value, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var (table, column, where) = Locate(cell);
            var n = await Execute(c, tx, $"UPDATE {table} SET {column} = $new WHERE {where} AND {column} = $old", cancellationToken,
                ("$new", value), ("$old", cell.Value), ("$a", cell.AccountId), ("$id", cell.Id), ("$v", cell.Version));
            return (n > 0, n > 0);
        }, cancellationToken);
}
