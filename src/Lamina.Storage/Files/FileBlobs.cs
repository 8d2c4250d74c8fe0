using Lamina.Core.Code;
using Lamina.Core.Storage;

namespace Lamina.Storage.Files;

/// <summary>Sealed blobs as files under <c>DATA/blobs/xx/ID</c>, written to a temp name, fsync'd and renamed.</summary>
internal sealed class FileBlobs(string root) : IBlobFiles
{
    private string PathOf(string id) => Path.Combine(root, id[..2], id);

    public Task WriteAsync(string id, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        DurableFile.WriteAsync(PathOf(id), content, overwrite: false, cancellationToken);

    public Task ReplaceAsync(string id, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        DurableFile.WriteAsync(PathOf(id), content, overwrite: true, cancellationToken);

    public Task<byte[]> ReadAsync(string id, CancellationToken cancellationToken) => File.ReadAllBytesAsync(PathOf(id), cancellationToken);

    public void Delete(string id)
    {
        var path = PathOf(id);
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    public IEnumerable<(string Id, DateTimeOffset WrittenAt)> List()
    {
        if (!Directory.Exists(root))
        {
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            // A leftover "ID.tmp" is never in the index, so the sweep removes it by this name.
            yield return (Path.GetFileName(file), File.GetLastWriteTimeUtc(file));
        }
    }
}
