using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Lamina.Core.Auth;

/// <summary>What the front door knows of an incoming request, enough to recompute its signature.</summary>
internal interface ISigV4Request
{
    string Method { get; }

    /// <summary>The path exactly as it arrived on the wire, still percent-encoded.</summary>
    string RawPath { get; }

    /// <summary>The query string without '?', still percent-encoded; empty when absent.</summary>
    string RawQuery { get; }

    /// <summary>All values of a header joined by ',' (lowercase name), or null.</summary>
    string? Header(string lowerName);

    /// <summary>Hex SHA-256 of the body as received.</summary>
    string PayloadHash { get; }
}

/// <summary>Why a request failed authentication; each protocol renders it with its own error code.</summary>
internal enum AuthFailure
{
    MissingToken,
    IncompleteSignature,
    UnknownAccessKey,
    SignatureMismatch,
    SignatureExpired,
    TokenExpired,
    InvalidToken,
}

internal sealed record AuthProblem(AuthFailure Failure, string Message);

/// <summary>The parts of a SigV4 signature, from the Authorization header or a presigned query.</summary>
internal sealed record SigV4Signature(
    string AccessKeyId,
    string ScopeDate,
    string Region,
    string Service,
    IReadOnlyList<string> SignedHeaders,
    string Signature,
    string AmzDate,
    DateTimeOffset SignedAt,
    bool Presigned,
    string? SecurityToken)
{
    public string Scope => $"{ScopeDate}/{Region}/{Service}/{SigV4.Terminator}";
}

/// <summary>
/// Server-side SigV4 verification with every check of reference/security.md section 7: scope date
/// equals the request date, scope region and service are ours, <c>host</c> is signed, the payload hash
/// is the body's real hash, 5-minute skew (presigned: X-Amz-Expires 1..604800 not yet passed), and a
/// constant-time signature compare.
/// </summary>
internal static class SigV4Verifier
{
    /// <summary>AWS: requests must be signed "within five minutes" of the service's clock.</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(5);

    /// <summary>Presigned URLs may live for at most 7 days (604,800 s).</summary>
    public const int MaxPresignSeconds = 604_800;

    private const string BadSignatureMessage =
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

    /// <summary>Parses the signature and checks everything that needs no secret.</summary>
    public static bool TryParse(ISigV4Request request, DateTimeOffset now, string region, out SigV4Signature signature, out AuthProblem? problem)
    {
        signature = null!;
        var authorization = request.Header("authorization");
        if (authorization is not null)
        {
            return TryParseHeader(request, authorization, now, region, out signature, out problem);
        }

        if (request.RawQuery.Contains("X-Amz-Signature=", StringComparison.Ordinal) ||
            request.RawQuery.Contains("X-Amz-Algorithm=", StringComparison.Ordinal))
        {
            return TryParsePresigned(request, now, region, out signature, out problem);
        }

        problem = new AuthProblem(AuthFailure.MissingToken, "Missing Authentication Token");
        return false;
    }

    private static bool TryParseHeader(ISigV4Request request, string authorization, DateTimeOffset now, string region,
        out SigV4Signature signature, out AuthProblem? problem)
    {
        signature = null!;
        if (!authorization.StartsWith(SigV4.Algorithm + " ", StringComparison.Ordinal))
        {
            problem = Incomplete($"Authorization header requires the '{SigV4.Algorithm}' algorithm; got '{First(authorization, ' ')}'.");
            return false;
        }

        string? credential = null, signedHeaders = null, sig = null;
        foreach (var rawPart in authorization[(SigV4.Algorithm.Length + 1)..].Split(','))
        {
            var part = rawPart.Trim();
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            var value = part[(eq + 1)..].Trim();
            switch (part[..eq].Trim())
            {
                case "Credential": credential = value; break;
                case "SignedHeaders": signedHeaders = value; break;
                case "Signature": sig = value; break;
            }
        }

        var missing = new List<string>();
        if (credential is null)
        {
            missing.Add("Authorization header requires 'Credential' parameter.");
        }

        if (signedHeaders is null)
        {
            missing.Add("Authorization header requires 'SignedHeaders' parameter.");
        }

        if (sig is null)
        {
            missing.Add("Authorization header requires 'Signature' parameter.");
        }

        var amzDate = request.Header("x-amz-date");
        DateTimeOffset signedAt = default;
        if (amzDate is null)
        {
            var date = request.Header("date");
            if (date is not null && DateTimeOffset.TryParse(date, CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out signedAt))
            {
                amzDate = SigV4.FormatAmzDate(signedAt);
            }
            else
            {
                missing.Add("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
            }
        }
        else if (!SigV4.TryParseAmzDate(amzDate, out signedAt))
        {
            missing.Add($"X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"; got '{amzDate}'.");
        }

        if (missing.Count > 0)
        {
            problem = Incomplete(string.Join(' ', missing) + $" Authorization={authorization.Split(' ')[0]}");
            return false;
        }

        return TryBuild(credential!, signedHeaders!, sig!, amzDate!, signedAt, presigned: false,
            request.Header("x-amz-security-token"), request, now, region, out signature, out problem);
    }

    private static bool TryParsePresigned(ISigV4Request request, DateTimeOffset now, string region,
        out SigV4Signature signature, out AuthProblem? problem)
    {
        signature = null!;
        string? algorithm = null, credential = null, amzDate = null, expires = null, signedHeaders = null, sig = null, token = null;
        foreach (var (name, value) in SigV4.ParseQuery(request.RawQuery))
        {
            switch (name)
            {
                case "X-Amz-Algorithm": algorithm = value; break;
                case "X-Amz-Credential": credential = value; break;
                case "X-Amz-Date": amzDate = value; break;
                case "X-Amz-Expires": expires = value; break;
                case "X-Amz-SignedHeaders": signedHeaders = value; break;
                case "X-Amz-Signature": sig = value; break;
                case "X-Amz-Security-Token": token = value; break;
            }
        }

        if (algorithm != SigV4.Algorithm)
        {
            problem = Incomplete($"X-Amz-Algorithm must be '{SigV4.Algorithm}'.");
            return false;
        }

        if (credential is null || amzDate is null || signedHeaders is null || sig is null || expires is null)
        {
            problem = Incomplete("Presigned requests require X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature.");
            return false;
        }

        if (!SigV4.TryParseAmzDate(amzDate, out var signedAt))
        {
            problem = Incomplete($"X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"; got '{amzDate}'.");
            return false;
        }

        if (!int.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds < 1 || seconds > MaxPresignSeconds)
        {
            problem = Incomplete($"X-Amz-Expires must be an integer from 1 to {MaxPresignSeconds}; got '{expires}'.");
            return false;
        }

        if (now > signedAt.AddSeconds(seconds))
        {
            problem = new AuthProblem(AuthFailure.SignatureExpired, "Request has expired");
            return false;
        }

        if (signedAt > now + MaxSkew)
        {
            problem = new AuthProblem(AuthFailure.SignatureExpired,
                $"Signature not yet current: {amzDate} is still later than {SigV4.FormatAmzDate(now + MaxSkew)} ({SigV4.FormatAmzDate(now)} + 5 min.)");
            return false;
        }

        return TryBuild(credential, signedHeaders, sig, amzDate, signedAt, presigned: true, token, request,
            now, region, out signature, out problem);
    }

    private static bool TryBuild(string credential, string signedHeaders, string sig, string amzDate, DateTimeOffset signedAt,
        bool presigned, string? token, ISigV4Request request, DateTimeOffset now, string region,
        out SigV4Signature signature, out AuthProblem? problem)
    {
        signature = null!;
        var scope = credential.Split('/');
        if (scope.Length != 5)
        {
            problem = Incomplete($"Credential should have 5 slash-separated parts (KEY/DATE/REGION/SERVICE/aws4_request); got '{credential}'.");
            return false;
        }

        var (akid, scopeDate, scopeRegion, scopeService, terminator) = (scope[0], scope[1], scope[2], scope[3], scope[4]);
        if (terminator != SigV4.Terminator)
        {
            problem = new AuthProblem(AuthFailure.SignatureMismatch,
                $"Credential should be scoped with a valid terminator: '{SigV4.Terminator}', not '{terminator}'. ");
            return false;
        }

        if (!string.Equals(scopeDate, amzDate[..8], StringComparison.Ordinal))
        {
            problem = new AuthProblem(AuthFailure.SignatureMismatch,
                $"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scopeDate}' != '{amzDate[..8]}', from '{amzDate}'.");
            return false;
        }

        if (!string.Equals(scopeRegion, region, StringComparison.Ordinal))
        {
            problem = new AuthProblem(AuthFailure.SignatureMismatch,
                $"Credential should be scoped to a valid region, not '{scopeRegion}'. This server serves '{region}'. ");
            return false;
        }

        var headers = signedHeaders.Split(';');
        if (Array.IndexOf(headers, "host") < 0)
        {
            problem = new AuthProblem(AuthFailure.SignatureMismatch, "'Host' must be a signed header.");
            return false;
        }

        for (var i = 0; i < headers.Length; i++)
        {
            if ((i > 0 && string.CompareOrdinal(headers[i - 1], headers[i]) >= 0) || headers[i].Any(char.IsAsciiLetterUpper))
            {
                problem = new AuthProblem(AuthFailure.SignatureMismatch, "SignedHeaders must be lowercase, sorted and unique.");
                return false;
            }
        }

        if (!presigned)
        {
            if (signedAt < now - MaxSkew)
            {
                problem = new AuthProblem(AuthFailure.SignatureExpired,
                    $"Signature expired: {amzDate} is now earlier than {SigV4.FormatAmzDate(now - MaxSkew)} ({SigV4.FormatAmzDate(now)} - 5 min.)");
                return false;
            }

            if (signedAt > now + MaxSkew)
            {
                problem = new AuthProblem(AuthFailure.SignatureExpired,
                    $"Signature not yet current: {amzDate} is still later than {SigV4.FormatAmzDate(now + MaxSkew)} ({SigV4.FormatAmzDate(now)} + 5 min.)");
                return false;
            }

            var claimed = request.Header("x-amz-content-sha256");
            if (claimed is not null && !string.Equals(claimed, request.PayloadHash, StringComparison.OrdinalIgnoreCase))
            {
                problem = new AuthProblem(AuthFailure.SignatureMismatch, claimed == "UNSIGNED-PAYLOAD"
                    ? "UNSIGNED-PAYLOAD is only accepted by S3; sign the request body."
                    : "The provided 'x-amz-content-sha256' header does not match what was computed.");
                return false;
            }
        }

        if (token is not null && !presigned && Array.IndexOf(headers, "x-amz-security-token") < 0)
        {
            problem = new AuthProblem(AuthFailure.SignatureMismatch, "'X-Amz-Security-Token' must be a signed header.");
            return false;
        }

        signature = new SigV4Signature(akid, scopeDate, scopeRegion, scopeService, headers, sig, amzDate, signedAt, presigned, token);
        problem = null;
        return true;
    }

    /// <summary>Recomputes the signature with the caller's signing key and compares in constant time.</summary>
    public static bool Verify(ISigV4Request request, SigV4Signature signature, byte[] signingKey)
    {
        var canonicalQuery = SigV4.CanonicalQuery(SigV4.ParseQuery(request.RawQuery), signature.Presigned ? "X-Amz-Signature" : null);
        // Non-S3 services hash the real body in presigned requests too (botocore SigV4QueryAuth); only S3 uses UNSIGNED-PAYLOAD.
        var canonical = SigV4.BuildCanonicalRequest(request.Method, SigV4.CanonicalUri(request.RawPath), canonicalQuery,
            signature.SignedHeaders, request.Header, request.PayloadHash);
        var expected = SigV4.Sign(signingKey, SigV4.StringToSign(signature.AmzDate, signature.Scope, canonical));
        if (expected.Length != signature.Signature.Length)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature.Signature));
    }

    public static AuthProblem BadSignature => new(AuthFailure.SignatureMismatch, BadSignatureMessage);

    private static AuthProblem Incomplete(string message) => new(AuthFailure.IncompleteSignature, message);

    private static string First(string value, char separator)
    {
        var i = value.IndexOf(separator, StringComparison.Ordinal);
        return i < 0 ? value : value[..i];
    }
}
