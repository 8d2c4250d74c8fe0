using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lamina.Core.Auth;

namespace Lamina.Tests.Support;

/// <summary>A minimal signed HTTP client for the Lamina API (tests that need raw control over requests).</summary>
public sealed class AwsClient(Uri endpoint, string accessKeyId, string secret, string region, string? sessionToken = null) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = endpoint, Timeout = TimeSpan.FromSeconds(100) };

    public string Service { get; init; } = "lambda";

    public async Task<AwsResponse> SendAsync(HttpMethod method, string pathAndQuery, object? json = null, byte[]? rawBody = null,
        IDictionary<string, string>? headers = null, DateTimeOffset? signAt = null, Action<HttpRequestMessage>? tamper = null,
        string? contentType = null)
    {
        var body = rawBody ?? (json is null ? [] : Encoding.UTF8.GetBytes(json is string s ? s : JsonSerializer.Serialize(json)));
        var url = new Uri(endpoint, pathAndQuery);
        using var request = new HttpRequestMessage(method, url);
        var toSign = new Dictionary<string, string>(headers ?? new Dictionary<string, string>());
        if (body.Length > 0 || method == HttpMethod.Post || method == HttpMethod.Put)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType ?? (json is null && rawBody is not null ? "application/octet-stream" : "application/json"));
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

    public void Dispose() => _http.Dispose();
}

public sealed record AwsResponse(int Status, byte[] Body, IReadOnlyDictionary<string, string> Headers)
{
    public string Text => Encoding.UTF8.GetString(Body);

    public JsonNode Json => JsonNode.Parse(Body.Length == 0 ? "{}" : Text)!;

    public string? ErrorType => Headers.TryGetValue("X-Amzn-ErrorType", out var t) ? t : null;

    public override string ToString() => $"{Status} {ErrorType} {Text}";
}
