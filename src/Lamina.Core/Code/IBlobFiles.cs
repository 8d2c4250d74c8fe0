namespace Lamina.Core.Code;

/// <summary>Where sealed blobs live (a folder of files on a single node).</summary>
internal interface IBlobFiles
{
    /// <summary>Writes a new blob durably (fsync'd) before returning.</summary>
    Task WriteAsync(string id, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    Task<byte[]> ReadAsync(string id, CancellationToken cancellationToken);

    /// <summary>Replaces a blob's bytes atomically (readers see the old file or the new one), fsync'd before returning.</summary>
    Task ReplaceAsync(string id, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    void Delete(string id);

    /// <summary>Every blob file and when it was written (for the orphan sweep).</summary>
    IEnumerable<(string Id, DateTimeOffset WrittenAt)> List();
}
