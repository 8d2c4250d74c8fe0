using System.Text.Json;

namespace Lamina.Core.Audit;

/// <summary>
/// CloudTrail's digest file format (cloudtrail-log-file-validation-digest-file-structure) and the string its
/// signature covers, exactly as awscli's <c>Sha256RSADigestValidator</c> rebuilds it.
/// </summary>
internal static class DigestDocument
{
    public const string SignatureAlgorithm = "SHA256withRSA";
    public const string HashAlgorithm = "SHA-256";

    private static readonly JsonWriterOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The uncompressed digest: the previous digest's bucket, key, hash and signature, then every log file it covers.</summary>
    public static byte[] Build(string accountId, DateTimeOffset start, DateTimeOffset end, string bucket, string objectKey, string fingerprint,
        AuditDigest? previous, IReadOnlyList<AuditLogFile> logFiles)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Relaxed))
        {
            json.WriteStartObject();
            json.WriteString("awsAccountId", accountId);
            json.WriteString("digestStartTime", AuditFiles.TimeText(start));
            json.WriteString("digestEndTime", AuditFiles.TimeText(end));
            json.WriteString("digestS3Bucket", bucket);
            json.WriteString("digestS3Object", objectKey);
            json.WriteString("digestPublicKeyFingerprint", fingerprint);
            json.WriteString("digestSignatureAlgorithm", SignatureAlgorithm);
            WriteTimeOrNull(json, "newestEventTime", logFiles.Count == 0 ? null : logFiles.Max(l => l.NewestEventTime));
            WriteTimeOrNull(json, "oldestEventTime", logFiles.Count == 0 ? null : logFiles.Min(l => l.OldestEventTime));
            WriteStringOrNull(json, "previousDigestS3Bucket", previous?.Bucket);
            WriteStringOrNull(json, "previousDigestS3Object", previous?.ObjectKey);
            WriteStringOrNull(json, "previousDigestHashValue", previous?.HashValue);
            WriteStringOrNull(json, "previousDigestHashAlgorithm", previous is null ? null : HashAlgorithm);
            WriteStringOrNull(json, "previousDigestSignature", previous?.Signature);
            json.WriteStartArray("logFiles");
            foreach (var log in logFiles)
            {
                json.WriteStartObject();
                json.WriteString("s3Bucket", log.Bucket);
                json.WriteString("s3Object", log.ObjectKey);
                json.WriteString("hashValue", log.HashValue);
                json.WriteString("hashAlgorithm", HashAlgorithm);
                json.WriteString("newestEventTime", AuditFiles.TimeText(log.NewestEventTime));
                json.WriteString("oldestEventTime", AuditFiles.TimeText(log.OldestEventTime));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// <c>{digestEndTime}\n{digestS3Bucket}/{digestS3Object}\n{hex(sha256(uncompressed digest))}\n{previousDigestSignature or "null"}</c>.
    /// </summary>
    public static string StringToSign(string digestEndTime, string bucket, string objectKey, string digestHashHex, string? previousSignature) =>
        $"{digestEndTime}\n{bucket}/{objectKey}\n{digestHashHex}\n{previousSignature ?? "null"}";

    /// <summary>The signature file beside a digest, holding what CloudTrail keeps in the object's metadata.</summary>
    public static byte[] Sidecar(string signature)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("signature", signature);
            json.WriteString("signature-algorithm", SignatureAlgorithm);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads a signature file; null when it is not one.</summary>
    public static (string Signature, string Algorithm)? ReadSidecar(byte[] content)
    {
        try
        {
            using var doc = JsonDocument.Parse(content);
            var root = doc.RootElement;
            return root.ValueKind == JsonValueKind.Object
                   && root.TryGetProperty("signature", out var signature) && signature.ValueKind == JsonValueKind.String
                   && root.TryGetProperty("signature-algorithm", out var algorithm) && algorithm.ValueKind == JsonValueKind.String
                ? (signature.GetString()!, algorithm.GetString()!)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void WriteStringOrNull(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteTimeOrNull(Utf8JsonWriter json, string name, DateTimeOffset? value) =>
        WriteStringOrNull(json, name, value is { } time ? AuditFiles.TimeText(time) : null);
}
