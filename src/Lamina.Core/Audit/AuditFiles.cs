using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Lamina.Core.Audit;

/// <summary>Formats and durable writes shared by the sealer and the verifier.</summary>
internal static class AuditFiles
{
    /// <summary>CloudTrail's time format in records and digests: <c>2015-08-17T14:01:31Z</c>.</summary>
    public static string TimeText(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static DateTimeOffset? ParseTime(string? text) =>
        DateTimeOffset.TryParseExact(text, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : null;

    public static string Sha256Hex(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>A log file's uncompressed content: <c>{"Records":[...]}</c> with the stored records in order.</summary>
    public static byte[] LogContent(IEnumerable<string> records)
    {
        var text = new StringBuilder("{\"Records\":[");
        var first = true;
        foreach (var record in records)
        {
            if (!first)
            {
                text.Append(',');
            }

            text.Append(record);
            first = false;
        }

        return Encoding.UTF8.GetBytes(text.Append("]}").ToString());
    }

    public static byte[] Gzip(ReadOnlySpan<byte> content)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(content);
        }

        return output.ToArray();
    }

    /// <summary>Inflates a gzip file; <see cref="InvalidDataException"/> when it is not one.</summary>
    public static byte[] Gunzip(byte[] compressed)
    {
        using var input = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }
}
