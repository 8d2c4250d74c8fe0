using System.Text.Json;
using Lamina.Core.Api.Lambda;
using Lamina.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Lamina.Storage.Sqlite;

internal sealed partial class SqliteStore
{
    private const string LayerColumns = "account_id, layer_name, version, info, code_blob, unzipped_size";

    private static LayerVersionRecord MapLayer(SqliteDataReader r) => new()
    {
        AccountId = r.GetString(0),
        LayerName = r.GetString(1),
        Version = r.GetInt64(2),
        Info = JsonSerializer.Deserialize(r.GetString(3), LambdaJson.Default.LayerVersionResponse)!,
        CodeBlobId = r.GetString(4),
        UnzippedSize = r.GetInt64(5),
    };

    Task<LayerVersionRecord?> ILayerStore.GetVersionAsync(string accountId, string layerName, long version, CancellationToken cancellationToken) =>
        ReadOneAsync($"SELECT {LayerColumns} FROM layer_versions WHERE account_id = $a AND layer_name = $n AND version = $v",
            MapLayer, cancellationToken, ("$a", accountId), ("$n", layerName), ("$v", version));

    async Task<IReadOnlyList<LayerVersionRecord>> ILayerStore.ListVersionsAsync(string accountId, string layerName, long? beforeVersion, int limit,
        CancellationToken cancellationToken) =>
        await ReadAsync(
            $"SELECT {LayerColumns} FROM layer_versions WHERE account_id = $a AND layer_name = $n AND version < $before ORDER BY version DESC LIMIT $limit",
            MapLayer, cancellationToken, ("$a", accountId), ("$n", layerName), ("$before", beforeVersion ?? long.MaxValue), ("$limit", limit));

    async Task<IReadOnlyList<LayerVersionRecord>> ILayerStore.ListLatestAsync(string accountId, string? afterName, int limit,
        CancellationToken cancellationToken) =>
        await ReadAsync(
            $"SELECT {LayerColumns} FROM layer_versions lv WHERE account_id = $a AND layer_name > $after " +
            "AND version = (SELECT MAX(version) FROM layer_versions x WHERE x.account_id = lv.account_id AND x.layer_name = lv.layer_name) " +
            "ORDER BY layer_name LIMIT $limit",
            MapLayer, cancellationToken, ("$a", accountId), ("$after", afterName ?? ""), ("$limit", limit));

    public Task<(WriteResult Result, LayerVersionRecord? Version)> PublishAsync(string accountId, string layerName, BlobClaim code,
        Func<long, LayerVersionRecord> build, CancellationToken cancellationToken) =>
        WriteAsync<(WriteResult, LayerVersionRecord?)>(async (c, tx) =>
        {
            var orphans = new List<string>();
            var blobId = await ClaimBlobAsync(c, tx, code, orphans, Now, cancellationToken);
            if (blobId is null)
            {
                return ((Refuse(WriteStatus.BlobGone, code), null), false);
            }

            await Execute(c, tx,
                "INSERT INTO layers (account_id, name, last_version) VALUES ($a, $n, 0) ON CONFLICT (account_id, name) DO NOTHING",
                cancellationToken, ("$a", accountId), ("$n", layerName));
            var number = (long)(await Scalar(c, tx,
                "UPDATE layers SET last_version = last_version + 1 WHERE account_id = $a AND name = $n RETURNING last_version",
                cancellationToken, ("$a", accountId), ("$n", layerName)))!;
            var record = build(number) with { CodeBlobId = blobId };
            await Execute(c, tx,
                $"INSERT INTO layer_versions ({LayerColumns}) VALUES ($a, $n, $v, $info, $blob, $u)",
                cancellationToken, ("$a", accountId), ("$n", layerName), ("$v", number),
                ("$info", JsonSerializer.Serialize(record.Info, LambdaJson.Default.LayerVersionResponse)), ("$blob", blobId), ("$u", record.UnzippedSize));
            return ((new WriteResult(WriteStatus.Ok, orphans), record), true);
        }, cancellationToken);

    Task<WriteResult> ILayerStore.DeleteVersionAsync(string accountId, string layerName, long version, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var blob = await Scalar(c, tx, "DELETE FROM layer_versions WHERE account_id = $a AND layer_name = $n AND version = $v RETURNING code_blob",
                cancellationToken, ("$a", accountId), ("$n", layerName), ("$v", version)) as string;
            if (blob is null)
            {
                return ((WriteResult)WriteStatus.NotFound, false);
            }

            var orphans = new List<string>();
            await ReleaseBlobsAsync(c, tx, [blob], orphans, cancellationToken);
            return (new WriteResult(WriteStatus.Ok, orphans), true);
        }, cancellationToken);

    private static BlobRecord MapBlob(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        AccountId = r.GetString(1),
        Sha256 = r.GetString(2),
        Size = r.GetInt64(3),
        UnzippedSize = r.GetInt64(4),
    };

    public Task<BlobRecord?> FindAsync(string accountId, string sha256, CancellationToken cancellationToken) =>
        ReadOneAsync("SELECT id, account_id, sha256, size, unzipped_size FROM blobs WHERE account_id = $a AND sha256 = $s", MapBlob, cancellationToken,
            ("$a", accountId), ("$s", sha256));

    Task<BlobRecord?> IBlobIndex.GetAsync(string id, CancellationToken cancellationToken) =>
        ReadOneAsync("SELECT id, account_id, sha256, size, unzipped_size FROM blobs WHERE id = $id", MapBlob, cancellationToken, ("$id", id));

    public async Task<IReadOnlySet<string>> ListIdsAsync(CancellationToken cancellationToken) =>
        (await ReadAsync("SELECT id FROM blobs", r => r.GetString(0), cancellationToken)).ToHashSet(StringComparer.Ordinal);
}
