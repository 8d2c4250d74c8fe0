using System.Net;
using System.Net.Http.Headers;
using Lamina.Core.Auth;

namespace Lamina.Benchmarks.ControlPlane;

/// <summary>
/// A request signed ahead of time. Replaying it is valid SigV4 until its date leaves the server's
/// 5-minute skew window, so the load loop only copies three header values into a fresh message.
/// </summary>
internal sealed class SignedRequest
{
    private readonly KeyValuePair<string, string>[] _headers;
    private readonly byte[]? _body;
    private readonly string? _contentType;

    private SignedRequest(HttpMethod method, Uri url, KeyValuePair<string, string>[] headers, byte[]? body, string? contentType, DateTimeOffset signedAt)
    {
        Method = method;
        Url = url;
        _headers = headers;
        _body = body;
        _contentType = contentType;
        SignedAt = signedAt;
    }

    public HttpMethod Method { get; }

    public Uri Url { get; }

    public DateTimeOffset SignedAt { get; }

    /// <summary>Signs with Lamina's own <see cref="SigV4Signer"/>: the signature every server under test verifies (or ignores, as moto does).</summary>
    /// <param name="headers">Extra headers, signed and sent (e.g. <c>X-Amz-Log-Type</c>).</param>
    public static SignedRequest Sign(HttpMethod method, Uri url, AwsCredentials credentials, string service, DateTimeOffset now,
        byte[]? body = null, string? contentType = null, IReadOnlyList<KeyValuePair<string, string>>? headers = null)
    {
        var signed = SigV4Signer.SignHeaders(method.Method, url, headers ?? [], body ?? [], credentials.AccessKeyId, credentials.SecretAccessKey,
            credentials.Region, service, now);
        return new SignedRequest(method, url, [.. headers ?? [], .. signed], body, contentType, now);
    }

    public HttpRequestMessage ToMessage()
    {
        var message = new HttpRequestMessage(Method, Url)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        foreach (var (name, value) in _headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        if (_body is not null)
        {
            message.Content = new ByteArrayContent(_body);
            if (_contentType is not null)
            {
                message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(_contentType);
            }
        }

        return message;
    }
}
