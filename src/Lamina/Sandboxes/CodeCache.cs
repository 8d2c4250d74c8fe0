using System.Collections.Concurrent;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Lamina.Core.Functions;

namespace Lamina.Sandboxes;

/// <summary>
/// Extracted packages for sandboxes: each code blob once under <c>work/code/ID</c>, each ordered layer
/// list once under <c>work/layers/HASH</c> (later layers overwrite earlier ones, as /opt does on AWS).
/// Mounted read-only, so environments of many versions can share one copy.
/// </summary>
internal sealed class CodeCache(WorkDirectory work, FunctionService functions)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _entries = new(StringComparer.Ordinal);

    public Task<string> CodeAsync(string blobId, CancellationToken cancellationToken) =>
        GetOrExtract(Path.Combine(work.Code, blobId), [blobId], cancellationToken);

    /// <summary>The merged /opt for a list of layer blobs, or null when there are none.</summary>
    public async Task<string?> LayersAsync(IReadOnlyList<string> blobIds, CancellationToken cancellationToken)
    {
        if (blobIds.Count == 0)
        {
            return null;
        }

        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(',', blobIds))))[..32];
        return await GetOrExtract(Path.Combine(work.Layers, key), blobIds, cancellationToken);
    }

    private Task<string> GetOrExtract(string target, IReadOnlyList<string> blobIds, CancellationToken cancellationToken)
    {
        var lazy = _entries.GetOrAdd(target, t => new Lazy<Task<string>>(() => ExtractAsync(t, blobIds)));
        var task = lazy.Value;
        if (task.IsFaulted)
        {
            _entries.TryRemove(new KeyValuePair<string, Lazy<Task<string>>>(target, lazy));
        }

        return task.WaitAsync(cancellationToken);
    }

    private async Task<string> ExtractAsync(string target, IReadOnlyList<string> blobIds)
    {
        var staging = target + ".part-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(staging);
        foreach (var blobId in blobIds)
        {
            var zip = await functions.ReadCodeAsync(blobId, CancellationToken.None)
                ?? throw new InvalidOperationException($"Code package {blobId} is missing from the store.");
            using var archive = new ZipArchive(new MemoryStream(zip, writable: false), ZipArchiveMode.Read);
            // .NET refuses entries that would land outside the target (zip-slip) and restores Unix modes.
            archive.ExtractToDirectory(staging, overwriteFiles: true);
        }

        MakeReadable(staging);
        if (Directory.Exists(target))
        {
            Directory.Delete(staging, recursive: true);
        }
        else
        {
            Directory.Move(staging, target);
        }

        return target;
    }

    /// <summary>
    /// Code runs as an unprivileged user: everything must be readable and directories traversable,
    /// as Lambda requires (its packaging guide asks for 644 files and 755 directories).
    /// </summary>
    private static void MakeReadable(string root)
    {
        const UnixFileMode Dir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                 UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(root, Dir);
        foreach (var dir in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories))
        {
            File.SetUnixFileMode(dir, Dir);
        }

        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            var mode = File.GetUnixFileMode(file) | UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
            if ((mode & UnixFileMode.UserExecute) != 0)
            {
                mode |= UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            }

            File.SetUnixFileMode(file, mode & ~(UnixFileMode.SetUser | UnixFileMode.SetGroup | UnixFileMode.StickyBit));
        }
    }

    /// <summary>Forgets a blob's extracted copy (after the blob is deleted).</summary>
    public void Evict(string blobId)
    {
        var target = Path.Combine(work.Code, blobId);
        if (_entries.TryRemove(target, out _) && Directory.Exists(target))
        {
            Directory.Delete(target, recursive: true);
        }
    }
}
