using System.Security.Cryptography;
using System.Text;

namespace Lamina.Core.Auth;

/// <summary>
/// Client-side SigV4: signs requests (tests, the benchmark load client, admin verbs) and presigns URLs
/// (the <c>Code.Location</c> that GetFunction returns).
/// </summary>
internal static class SigV4Signer
{
    /// <summary>Headers to add to a request so that it verifies: x-amz-date, x-amz-content-sha256, authorization.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> SignHeaders(
        string method, Uri url, IEnumerable<KeyValuePair<string, string>> headers, ReadOnlySpan<byte> body,
        string accessKeyId, string secretAccessKey, string region, string service, DateTimeOffset now, string? sessionToken = null)
    {
        var amzDate = SigV4.FormatAmzDate(now);
        var payloadHash = SigV4.HexSha256(body);
        var all = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in headers)
        {
            all[name.ToLowerInvariant()] = value;
        }

        all["host"] = url.IsDefaultPort ? url.Host : $"{url.Host}:{url.Port}";
        all["x-amz-date"] = amzDate;
        all["x-amz-content-sha256"] = payloadHash;
        if (sessionToken is not null)
        {
            all["x-amz-security-token"] = sessionToken;
        }

        var signed = all.Keys.ToList();
        var canonical = SigV4.BuildCanonicalRequest(method, SigV4.CanonicalUri(url.AbsolutePath),
            SigV4.CanonicalQuery(SigV4.ParseQuery(url.Query)), signed, n => all.GetValueOrDefault(n), payloadHash);
        var scope = $"{amzDate[..8]}/{region}/{service}/{SigV4.Terminator}";
        var key = SigV4.DeriveSigningKey(secretAccessKey, amzDate[..8], region, service);
        var signature = SigV4.Sign(key, SigV4.StringToSign(amzDate, scope, canonical));
        var result = new List<KeyValuePair<string, string>>
        {
            new("x-amz-date", amzDate),
            new("x-amz-content-sha256", payloadHash),
            new("Authorization", $"{SigV4.Algorithm} Credential={accessKeyId}/{scope}, SignedHeaders={string.Join(';', signed)}, Signature={signature}"),
        };
        if (sessionToken is not null)
        {
            result.Add(new("x-amz-security-token", sessionToken));
        }

        return result;
    }

    /// <summary>A presigned GET URL valid for <paramref name="expires"/>.</summary>
    public static string Presign(Uri url, string accessKeyId, string secretAccessKey, string region, string service,
        DateTimeOffset now, TimeSpan expires)
    {
        var amzDate = SigV4.FormatAmzDate(now);
        var scope = $"{amzDate[..8]}/{region}/{service}/{SigV4.Terminator}";
        var query = SigV4.ParseQuery(url.Query);
        query.Add(new("X-Amz-Algorithm", SigV4.Algorithm));
        query.Add(new("X-Amz-Credential", $"{accessKeyId}/{scope}"));
        query.Add(new("X-Amz-Date", amzDate));
        query.Add(new("X-Amz-Expires", ((int)expires.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        query.Add(new("X-Amz-SignedHeaders", "host"));
        var canonicalQuery = SigV4.CanonicalQuery(query);
        var host = url.IsDefaultPort ? url.Host : $"{url.Host}:{url.Port}";
        var canonical = SigV4.BuildCanonicalRequest("GET", SigV4.CanonicalUri(url.AbsolutePath), canonicalQuery,
            ["host"], _ => host, SigV4.EmptyPayloadHash);
        var key = SigV4.DeriveSigningKey(secretAccessKey, amzDate[..8], region, service);
        var signature = SigV4.Sign(key, SigV4.StringToSign(amzDate, scope, canonical));
        return $"{url.Scheme}://{host}{url.AbsolutePath}?{canonicalQuery}&X-Amz-Signature={signature}";
    }

    /// <summary>A new access key id in AWS's shape: a 4-letter prefix and 16 base-32 characters.</summary>
    public static string NewAccessKeyId(string prefix)
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        Span<byte> random = stackalloc byte[16];
        RandomNumberGenerator.Fill(random);
        var sb = new StringBuilder(prefix, 20);
        foreach (var b in random)
        {
            sb.Append(Alphabet[b & 31]);
        }

        return sb.ToString();
    }

    /// <summary>A 40-character secret, as AWS issues.</summary>
    public static string NewSecretAccessKey()
    {
        Span<byte> random = stackalloc byte[30];
        RandomNumberGenerator.Fill(random);
        return Convert.ToBase64String(random);
    }
}
