using System.IO.Compression;
using System.Security.Cryptography;
using Lamina.Core.Crypto;
using Lamina.Core.Errors;
using Lamina.Core.Storage;

namespace Lamina.Core.Code;

/// <summary>
/// Code packages (function and layer zips): content-addressed by SHA-256 within an account,
/// deduplicated, sealed at rest with a per-object data key (the object's identity is the associated
/// data), and deleted when nothing references them.
/// </summary>
/// <remarks>
/// Staging writes a sealed file under a fresh id before the store transaction that references it. The
/// transaction dedups against a concurrent identical upload, and reports every staged or released file
/// that ended up unreferenced; <see cref="Release"/> removes them. A crash between the two leaves a file
/// no row names, which <see cref="SweepOrphansAsync"/> removes at the next start.
/// </remarks>
internal sealed class CodeStore(IBlobFiles files, IBlobIndex index, Envelope envelope, TimeProvider time)
{
    /// <summary>Lambda's direct-upload limit for a zipped package (gettingstarted-limits.md).</summary>
    public const long MaxZippedBytes = 52_428_800;

    /// <summary>Lambda's limit on a function plus its layers, unzipped.</summary>
    public const long MaxUnzippedBytes = 262_144_000;

    /// <summary>Files younger than this are never swept: they may belong to an upload still in flight.</summary>
    private static readonly TimeSpan OrphanGrace = TimeSpan.FromMinutes(10);

    public static string ContextFor(BlobRecord blob) => $"code:{blob.AccountId}:{blob.Sha256}:{blob.Id}";

    /// <summary>Checks a zip and measures it: its base64 SHA-256 and the sum of its entries' sizes.</summary>
    public static Outcome<(string Sha256, long UnzippedSize)> Inspect(byte[] zip)
    {
        if (zip.LongLength > MaxZippedBytes)
        {
            return LambdaErrors.RequestTooLarge($"Zipped size must be smaller than {MaxZippedBytes} bytes");
        }

        long unzipped = 0;
        try
        {
            using var archive = new ZipArchive(new MemoryStream(zip, writable: false), ZipArchiveMode.Read);
            foreach (var entry in archive.Entries)
            {
                unzipped += entry.Length;
            }
        }
        catch (InvalidDataException)
        {
            return LambdaErrors.InvalidParameter("Could not unzip uploaded file. Please check your file, then try to upload again.");
        }

        if (unzipped > MaxUnzippedBytes)
        {
            return LambdaErrors.InvalidParameter($"Unzipped size must be smaller than {MaxUnzippedBytes} bytes");
        }

        return (Convert.ToBase64String(SHA256.HashData(zip)), unzipped);
    }

    /// <summary>Finds the account's copy of this package, or seals and writes a new one.</summary>
    public async Task<Outcome<BlobClaim>> StageAsync(string accountId, byte[] zip, CancellationToken cancellationToken)
    {
        var inspected = Inspect(zip);
        if (!inspected.IsSuccess)
        {
            return inspected.Error;
        }

        var (sha, unzipped) = inspected.Value;
        var existing = await index.FindAsync(accountId, sha, cancellationToken);
        if (existing is not null)
        {
            return new BlobClaim(existing, IsNew: false);
        }

        return await StageNewAsync(accountId, zip, sha, unzipped, cancellationToken);
    }

    /// <summary>Seals and writes a new copy even if the index has one (after a <see cref="WriteStatus.BlobGone"/>).</summary>
    public async Task<BlobClaim> StageNewAsync(string accountId, byte[] zip, string sha, long unzipped, CancellationToken cancellationToken)
    {
        var blob = new BlobRecord
        {
            Id = NewId(),
            AccountId = accountId,
            Sha256 = sha,
            Size = zip.LongLength,
            UnzippedSize = unzipped,
        };
        var sealedBytes = envelope.Seal(zip, ContextFor(blob));
        await files.WriteAsync(blob.Id, sealedBytes, cancellationToken);
        return new BlobClaim(blob, IsNew: true);
    }

    /// <summary>Reads and opens a package; a tampered or moved file fails authentication.</summary>
    public async Task<byte[]> ReadAsync(BlobRecord blob, CancellationToken cancellationToken)
    {
        var sealedBytes = await files.ReadAsync(blob.Id, cancellationToken);
        return envelope.Open(sealedBytes, ContextFor(blob));
    }

    /// <summary>
    /// Re-wraps a package's data key under the active master key (the file is replaced atomically); false when
    /// it already was, or the file is gone (its function was deleted meanwhile).
    /// </summary>
    public async Task<bool> RewrapAsync(BlobRecord blob, CancellationToken cancellationToken)
    {
        byte[] sealedBytes;
        try
        {
            sealedBytes = await files.ReadAsync(blob.Id, cancellationToken);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }

        if (!envelope.Rewrap(sealedBytes, ContextFor(blob)))
        {
            return false;
        }

        await files.ReplaceAsync(blob.Id, sealedBytes, cancellationToken);
        return true;
    }

    /// <summary>Deletes files the store reported as no longer referenced.</summary>
    public void Release(IReadOnlyList<string> orphaned)
    {
        foreach (var id in orphaned)
        {
            files.Delete(id);
        }
    }

    /// <summary>Removes files that no index row names (left by a crash mid-upload or mid-delete).</summary>
    public async Task<int> SweepOrphansAsync(CancellationToken cancellationToken)
    {
        var known = await index.ListIdsAsync(cancellationToken);
        var cutoff = time.GetUtcNow() - OrphanGrace;
        var removed = 0;
        foreach (var (id, writtenAt) in files.List())
        {
            if (!known.Contains(id) && writtenAt < cutoff)
            {
                files.Delete(id);
                removed++;
            }
        }

        return removed;
    }

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
