using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace Lamina.Lambda.Shared;

/// <summary>
/// The runtime's side of the Lambda Runtime API (<c>http://$AWS_LAMBDA_RUNTIME_API/2018-06-01</c>) over one
/// kept-alive HTTP/1.1 connection. <c>/next</c> is a long poll, so the client has no timeout.
/// </summary>
internal sealed class RuntimeApiClient : IDisposable
{
    private const string ErrorTypeHeader = "Lambda-Runtime-Function-Error-Type";

    private readonly HttpClient _http;

    public RuntimeApiClient(string address)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            MaxConnectionsPerServer = 1,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        };
        _http = new HttpClient(handler)
        {
            BaseAddress = new Uri($"http://{address}/2018-06-01/"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("lamina-dotnet-runtime", "1.0"));
    }

    /// <summary>Reads <c>AWS_LAMBDA_RUNTIME_API</c>; throws when it is not set (not inside Lambda).</summary>
    public static RuntimeApiClient FromEnvironment() =>
        new(Environment.GetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API") is { Length: > 0 } address
            ? address
            : throw new InvalidOperationException("AWS_LAMBDA_RUNTIME_API is not set: this program must run inside a Lambda execution environment."));

    public async Task<Invocation> NextAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri("runtime/invocation/next", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new RuntimeApiException($"GET /runtime/invocation/next answered {(int)response.StatusCode}: " +
                await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        }

        var headers = response.Headers;
        var requestId = Header(headers, "Lambda-Runtime-Aws-Request-Id")
            ?? throw new RuntimeApiException("GET /runtime/invocation/next gave no Lambda-Runtime-Aws-Request-Id.");
        long.TryParse(Header(headers, "Lambda-Runtime-Deadline-Ms"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var deadline);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return new Invocation(requestId, deadline, Header(headers, "Lambda-Runtime-Invoked-Function-Arn"), Header(headers, "Lambda-Runtime-Trace-Id"),
            Header(headers, "Lambda-Runtime-Client-Context"), Header(headers, "Lambda-Runtime-Cognito-Identity"),
            Header(headers, "Lambda-Runtime-Aws-Tenant-Id"), body);
    }

    public Task PostResponseAsync(string requestId, byte[] buffer, int length, CancellationToken cancellationToken)
    {
        var content = new ByteArrayContent(buffer, 0, length);
        return PostAsync($"runtime/invocation/{requestId}/response", content, null, cancellationToken);
    }

    public Task PostErrorAsync(string requestId, string errorType, byte[] body, CancellationToken cancellationToken) =>
        PostAsync($"runtime/invocation/{requestId}/error", Json(body), errorType, cancellationToken);

    public Task PostInitErrorAsync(string errorType, byte[] body, CancellationToken cancellationToken) =>
        PostAsync("runtime/init/error", Json(body), errorType, cancellationToken);

    public void Dispose() => _http.Dispose();

    private static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>
    /// 202 is success. A 4xx (a response over 6 MB, an id that is no longer current) is reported and the
    /// runtime carries on with the next invocation; a 5xx means the environment is broken and the runtime must exit.
    /// </summary>
    private async Task PostAsync(string path, HttpContent content, string? errorType, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = content };
        if (errorType is not null)
        {
            request.Headers.TryAddWithoutValidation(ErrorTypeHeader, errorType);
        }

        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (status is >= 200 and < 300)
        {
            return;
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (status >= 500)
        {
            throw new RuntimeApiException($"POST /{path} answered {status}: {text}");
        }

        LogSink.Shared.WriteRuntimeLine($"Runtime API refused POST /{path}: {status} {text}");
    }

    private static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;
}
