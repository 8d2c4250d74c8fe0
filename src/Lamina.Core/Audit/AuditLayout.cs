using System.Globalization;

namespace Lamina.Core.Audit;

/// <summary>
/// Where audit files live: <c>DATA_DIR/audit/BUCKET/KEY</c>, with keys spelled as CloudTrail spells its
/// S3 keys, so that a digest's <c>digestS3Bucket</c>/<c>digestS3Object</c> name exactly the file it is in.
/// </summary>
/// <remarks>
/// Log files: <c>AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz</c>.
/// Digests: <c>AWSLogs/ACCOUNT/CloudTrail-Digest/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail-Digest_REGION_TRAIL_REGION_YYYYMMDDTHHmmssZ.json.gz</c>,
/// each with its signature beside it in <c>NAME.json.gz.metadata.json</c> (on S3 it is object metadata).
/// </remarks>
internal sealed class AuditLayout(string root, string bucket, string region, string trailName = "lamina")
{
    public const string SidecarSuffix = ".metadata.json";

    /// <summary><c>DATA_DIR/audit</c>.</summary>
    public string Root { get; } = Path.GetFullPath(root);

    public string Bucket { get; } = bucket;

    public string Region { get; } = region;

    public string LogKey(string accountId, DateTimeOffset at, long firstSequence)
    {
        var utc = at.UtcDateTime;
        return $"{LogPrefix(accountId)}{Region}/{utc.ToString("yyyy'/'MM'/'dd", CultureInfo.InvariantCulture)}/" +
               $"{accountId}_CloudTrail_{Region}_{utc.ToString("yyyyMMdd'T'HHmm'Z'", CultureInfo.InvariantCulture)}_{firstSequence:x16}.json.gz";
    }

    public string DigestKey(string accountId, DateTimeOffset end)
    {
        var utc = end.UtcDateTime;
        return $"{DigestPrefix(accountId)}{Region}/{utc.ToString("yyyy'/'MM'/'dd", CultureInfo.InvariantCulture)}/" +
               $"{accountId}_CloudTrail-Digest_{Region}_{trailName}_{Region}_{utc.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}.json.gz";
    }

    public static string LogPrefix(string accountId) => $"AWSLogs/{accountId}/CloudTrail/";

    public static string DigestPrefix(string accountId) => $"AWSLogs/{accountId}/CloudTrail-Digest/";

    /// <summary>
    /// The file of an object, or null when the bucket or key could leave the audit folder (a tampered digest
    /// may name anything; verification must never read outside <see cref="Root"/>).
    /// </summary>
    public string? PathOf(string bucketName, string key)
    {
        if (bucketName.Length == 0 || bucketName.Contains('/', StringComparison.Ordinal) || bucketName is "." or ".."
            || key.Length == 0 || key.StartsWith('/') || key.Split('/').Any(segment => segment is "" or "." or ".."))
        {
            return null;
        }

        return Path.Combine(Root, bucketName, key);
    }

    public string PathOf(AuditLogFile file) => PathOf(file.Bucket, file.ObjectKey)!;

    public string PathOf(AuditDigest digest) => PathOf(digest.Bucket, digest.ObjectKey)!;

    /// <summary>Object keys of the files under a prefix of this layout's bucket (sidecars and temporary files excluded).</summary>
    public IEnumerable<string> ListKeys(string prefix)
    {
        var dir = Path.Combine(Root, Bucket, prefix);
        if (!Directory.Exists(dir))
        {
            return [];
        }

        var bucketDir = Path.Combine(Root, Bucket);
        return Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(path => !path.EndsWith(SidecarSuffix, StringComparison.Ordinal) && !path.EndsWith(".tmp", StringComparison.Ordinal))
            .Select(path => Path.GetRelativePath(bucketDir, path).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal);
    }

    /// <summary>Accounts with an <c>AWSLogs/ACCOUNT</c> folder in this bucket.</summary>
    public IEnumerable<string> ListAccountFolders()
    {
        var dir = Path.Combine(Root, Bucket, "AWSLogs");
        return Directory.Exists(dir) ? Directory.EnumerateDirectories(dir).Select(Path.GetFileName).OfType<string>() : [];
    }

    /// <summary>The end time a digest key carries (<c>..._YYYYMMDDTHHmmssZ.json.gz</c>), as awscli reads it.</summary>
    public static DateTimeOffset? DigestEndFromKey(string key)
    {
        var name = key[(key.LastIndexOf('/') + 1)..];
        var underscore = name.LastIndexOf('_');
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        if (underscore < 0 || dot < underscore)
        {
            return null;
        }

        return DateTimeOffset.TryParseExact(name[(underscore + 1)..dot], "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var end)
            ? end
            : null;
    }

    /// <summary>The time a log key carries (<c>..._YYYYMMDDTHHmmZ_UNIQUE.json.gz</c>).</summary>
    public static DateTimeOffset? LogTimeFromKey(string key)
    {
        var parts = key[(key.LastIndexOf('/') + 1)..].Split('_');
        return parts.Length >= 2 && DateTimeOffset.TryParseExact(parts[^2], "yyyyMMdd'T'HHmm'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : null;
    }
}
