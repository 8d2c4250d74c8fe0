using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lamina.Core.Auth;

namespace Lamina.Tests.Support;

/// <summary>A minimal signed HTTP client for the Lamina API (tests that need raw control over requests).</summary>
public sealed class AwsClient(Uri endpoint, string accessKeyId, string secret, string region, string? sessionToken = null,
    HttpMessageHandler? handler = null) : IDisposable
{
    private readonly HttpClient _http = new(handler ?? new HttpClientHandler()) { BaseAddress = endpoint, Timeout = TimeSpan.FromSeconds(100) };

    public string Service { get; init; } = "lambda";

    public async Task<AwsResponse> SendAsync(HttpMethod method, string pathAndQuery, object? json = null, byte[]? rawBody = null,
        IDictionary<string, string>? headers = null, DateTimeOffset? signAt = null, Action<HttpRequestMessage>? tamper = null, string? contentType = null)
    {
        var body = rawBody ?? (json is null ? [] : Encoding.UTF8.GetBytes(json is string s ? s : JsonSerializer.Serialize(json)));
        var url = new Uri(endpoint, pathAndQuery);
        using var request = new HttpRequestMessage(method, url);
        var toSign = new Dictionary<string, string>(headers ?? new Dictionary<string, string>());
        if (body.Length > 0 || method == HttpMethod.Post || method == HttpMethod.Put)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(
                contentType ?? (json is null && rawBody is not null ? "application/octet-stream" : "application/json"));
        }

        foreach (var (name, value) in SigV4Signer.SignHeaders(method.Method, url, toSign, body, accessKeyId, secret, region, Service,
                     signAt ?? DateTimeOffset.UtcNow, sessionToken))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        foreach (var (name, value) in toSign)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, value);
            }
        }

        tamper?.Invoke(request);
        using var response = await _http.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var responseHeaders = response.Headers.Concat(response.Content.Headers)
            .ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        return new AwsResponse((int)response.StatusCode, bytes, responseHeaders);
    }

    public Task<AwsResponse> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public Task<AwsResponse> PostAsync(string path, object? json) => SendAsync(HttpMethod.Post, path, json);

    public Task<AwsResponse> PutAsync(string path, object? json) => SendAsync(HttpMethod.Put, path, json);

    public Task<AwsResponse> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path);

    /// <summary>
    /// A query-protocol call (IAM, STS) as botocore sends it: <c>POST /</c>, form-encoded <c>Action</c>,
    /// <c>Version</c> and members, signed for <see cref="Service"/>.
    /// </summary>
    public Task<AwsResponse> QueryAsync(string action, params (string Name, string Value)[] members) =>
        QueryAsync(action, null, members);

    public Task<AwsResponse> QueryAsync(string action, Action<HttpRequestMessage>? tamper, params (string Name, string Value)[] members)
    {
        var version = Service == "sts" ? "2011-06-15" : "2010-05-08";
        var body = string.Join('&', new[] { ("Action", action), ("Version", version) }.Concat(members)
            .Select(m => $"{Uri.EscapeDataString(m.Item1)}={Uri.EscapeDataString(m.Item2)}"));
        return SendAsync(HttpMethod.Post, "/", rawBody: Encoding.UTF8.GetBytes(body), tamper: tamper,
            contentType: "application/x-www-form-urlencoded; charset=utf-8");
    }

    /// <summary>
    /// A JSON 1.1 call (KMS) as botocore sends it: <c>POST /</c>, <c>X-Amz-Target: PREFIX.Operation</c>, the
    /// members as a JSON object, signed for <see cref="Service"/>.
    /// </summary>
    public Task<AwsResponse> TargetAsync(string target, object body) =>
        SendAsync(HttpMethod.Post, "/", rawBody: Encoding.UTF8.GetBytes(body is string s ? s : JsonSerializer.Serialize(body)),
            headers: new Dictionary<string, string> { ["X-Amz-Target"] = target }, contentType: "application/x-amz-json-1.1");

    public void Dispose() => _http.Dispose();
}

public sealed record AwsResponse(int Status, byte[] Body, IReadOnlyDictionary<string, string> Headers)
{
    public string Text => Encoding.UTF8.GetString(Body);

    public JsonNode Json => JsonNode.Parse(Body.Length == 0 ? "{}" : Text)!;

    /// <summary>The body as XML (query-protocol responses).</summary>
    public System.Xml.Linq.XElement Xml => System.Xml.Linq.XElement.Parse(Text);

    /// <summary>The first element named <paramref name="localName"/> anywhere in the XML body, ignoring namespaces.</summary>
    public string? XmlValue(string localName) => Xml.Descendants().FirstOrDefault(e => e.Name.LocalName == localName)?.Value;

    public string? ErrorType => Headers.TryGetValue("X-Amzn-ErrorType", out var t) ? t : null;

    public override string ToString() => $"{Status} {ErrorType} {Text}";
}
