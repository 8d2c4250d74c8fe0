using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Lamina.Core.Auth;

/// <summary>
/// AWS Signature Version 4 building blocks shared by the verifier (every API request) and the signer
/// (presigned code URLs, tests, benchmarks). Follows docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html.
/// </summary>
internal static class SigV4
{
    public const string Algorithm = "AWS4-HMAC-SHA256";
    public const string Terminator = "aws4_request";
    public const string DateFormat = "yyyyMMdd'T'HHmmss'Z'";
    public const string EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// <summary>
    /// Encodes every byte except the unreserved set <c>A-Z a-z 0-9 - . _ ~</c> as uppercase %XX
    /// (space is %20); with <paramref name="keepSlash"/> the path separator stays as is.
    /// </summary>
    public static string UriEncode(string value, bool keepSlash)
    {
        var needs = false;
        foreach (var c in value)
        {
            if (!IsUnreserved(c) && !(keepSlash && c == '/'))
            {
                needs = true;
                break;
            }
        }

        if (!needs)
        {
            return value;
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        var sb = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            var c = (char)b;
            if (b < 0x80 && (IsUnreserved(c) || (keepSlash && c == '/')))
            {
                sb.Append(c);
            }
            else
            {
                sb.Append('%').Append(HexUpper[b >> 4]).Append(HexUpper[b & 0xF]);
            }
        }

        return sb.ToString();
    }

    private const string HexUpper = "0123456789ABCDEF";

    private static bool IsUnreserved(char c) =>
        c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.' or '_' or '~';

    /// <summary>
    /// The canonical URI of a non-S3 request: the path exactly as sent on the wire (already
    /// percent-encoded once by the client), encoded a second time, '/' kept. An empty path is "/".
    /// </summary>
    public static string CanonicalUri(string rawPath) => rawPath.Length == 0 ? "/" : UriEncode(rawPath, keepSlash: true);

    /// <summary>Parses a raw query string into decoded name/value pairs, in wire order.</summary>
    public static List<KeyValuePair<string, string>> ParseQuery(string? rawQuery)
    {
        var result = new List<KeyValuePair<string, string>>();
        if (string.IsNullOrEmpty(rawQuery))
        {
            return result;
        }

        var query = rawQuery[0] == '?' ? rawQuery[1..] : rawQuery;
        foreach (var part in query.Split('&'))
        {
            if (part.Length == 0)
            {
                continue;
            }

            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? "" : part[(eq + 1)..];
            result.Add(new(Uri.UnescapeDataString(name), Uri.UnescapeDataString(value)));
        }

        return result;
    }

    /// <summary>Sorted, strictly re-encoded <c>name=value</c> pairs joined by '&amp;'; <paramref name="skip"/> is left out.</summary>
    public static string CanonicalQuery(IEnumerable<KeyValuePair<string, string>> pairs, string? skip = null)
    {
        var encoded = new List<(string Name, string Value)>();
        foreach (var (name, value) in pairs)
        {
            if (skip is not null && string.Equals(name, skip, StringComparison.Ordinal))
            {
                continue;
            }

            encoded.Add((UriEncode(name, keepSlash: false), UriEncode(value, keepSlash: false)));
        }

        encoded.Sort(static (a, b) =>
        {
            var c = string.CompareOrdinal(a.Name, b.Name);
            return c != 0 ? c : string.CompareOrdinal(a.Value, b.Value);
        });

        var sb = new StringBuilder();
        for (var i = 0; i < encoded.Count; i++)
        {
            if (i > 0)
            {
                sb.Append('&');
            }

            sb.Append(encoded[i].Name).Append('=').Append(encoded[i].Value);
        }

        return sb.ToString();
    }

    /// <summary>Trims a header value and collapses runs of spaces to one, as the canonical form requires.</summary>
    public static string CanonicalHeaderValue(string value)
    {
        var trimmed = value.Trim();
        if (!trimmed.Contains("  ", StringComparison.Ordinal) && !trimmed.Contains('\t', StringComparison.Ordinal))
        {
            return trimmed;
        }

        var sb = new StringBuilder(trimmed.Length);
        var lastSpace = false;
        foreach (var c in trimmed)
        {
            var space = c is ' ' or '\t';
            if (space && lastSpace)
            {
                continue;
            }

            sb.Append(space ? ' ' : c);
            lastSpace = space;
        }

        return sb.ToString();
    }

    public static string BuildCanonicalRequest(
        string method,
        string canonicalUri,
        string canonicalQuery,
        IReadOnlyList<string> signedHeaders,
        Func<string, string?> headerValue,
        string payloadHash)
    {
        var sb = new StringBuilder(256);
        sb.Append(method).Append('\n').Append(canonicalUri).Append('\n').Append(canonicalQuery).Append('\n');
        foreach (var name in signedHeaders)
        {
            sb.Append(name).Append(':').Append(CanonicalHeaderValue(headerValue(name) ?? "")).Append('\n');
        }

        sb.Append('\n').Append(string.Join(';', signedHeaders)).Append('\n').Append(payloadHash);
        return sb.ToString();
    }

    public static string StringToSign(string amzDate, string scope, string canonicalRequest) =>
        $"{Algorithm}\n{amzDate}\n{scope}\n{HexSha256(canonicalRequest)}";

    public static byte[] DeriveSigningKey(string secretAccessKey, string date, string region, string service)
    {
        var kDate = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secretAccessKey), Encoding.UTF8.GetBytes(date));
        var kRegion = HMACSHA256.HashData(kDate, Encoding.UTF8.GetBytes(region));
        var kService = HMACSHA256.HashData(kRegion, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(kService, Encoding.UTF8.GetBytes(Terminator));
    }

    public static string Sign(byte[] signingKey, string stringToSign) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(stringToSign)));

    public static string HexSha256(string text)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        var rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var n = Encoding.UTF8.GetBytes(text, rented);
            return HexSha256(rented.AsSpan(0, n));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public static string HexSha256(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(data, hash);
        return Convert.ToHexStringLower(hash);
    }

    public static bool TryParseAmzDate(string? value, out DateTimeOffset date) =>
        DateTimeOffset.TryParseExact(value, DateFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out date);

    public static string FormatAmzDate(DateTimeOffset date) => date.UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture);
}
