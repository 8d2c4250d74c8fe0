using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Lamina.Core.Auth;

namespace Lamina.Durable;

/// <summary>The body of CheckpointDurableExecution: the ARN travels in the path.</summary>
internal sealed record CheckpointBody(
    string CheckpointToken,
    IReadOnlyList<OperationUpdate> Updates,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ClientToken);

/// <summary>
/// The durable operations of the Lambda REST API (version 2025-12-01) over HTTP, SigV4-signed for service
/// <c>lambda</c> with Lamina's own signer. 5xx, 429 and network failures are retried with the same ClientToken.
/// </summary>
public sealed class LambdaDurableExecutionClient : IDurableExecutionClient, IDisposable
{
    private const string Service = "lambda";
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(55);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    private readonly LambdaClientOptions _options;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly string _base;

    public LambdaDurableExecutionClient(LambdaClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = options.TimeProvider ?? TimeProvider.System;
        _base = options.Endpoint.GetLeftPart(UriPartial.Path).TrimEnd('/');
        var handler = options.Handler ?? new SocketsHttpHandler { ConnectTimeout = ConnectTimeout, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        _http = new HttpClient(handler, disposeHandler: options.Handler is null) { Timeout = RequestTimeout };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("lamina-durable-dotnet", "1.0"));
    }

    /// <summary>A client for the function's environment (see <see cref="LambdaClientOptions.FromEnvironment"/>).</summary>
    public static LambdaDurableExecutionClient FromEnvironment() => new(LambdaClientOptions.FromEnvironment());

    public async Task<CheckpointDurableExecutionResponse> CheckpointAsync(CheckpointDurableExecutionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new CheckpointBody(request.CheckpointToken, request.Updates, request.ClientToken ?? Guid.NewGuid().ToString()),
            DurableWireJsonContext.Relaxed.CheckpointBody);
        var url = new Uri($"{_base}/2025-12-01/durable-executions/{Uri.EscapeDataString(request.DurableExecutionArn)}/checkpoint");
        using var response = await SendAsync(HttpMethod.Post, url, body, cancellationToken);
        return await JsonSerializer.DeserializeAsync(await response.Content.ReadAsStreamAsync(cancellationToken),
            DurableWireJsonContext.Default.CheckpointDurableExecutionResponse, cancellationToken) ?? new CheckpointDurableExecutionResponse();
    }

    public async Task<GetDurableExecutionStateResponse> GetExecutionStateAsync(GetDurableExecutionStateRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var query = $"CheckpointToken={Uri.EscapeDataString(request.CheckpointToken)}";
        if (!string.IsNullOrEmpty(request.Marker))
        {
            query += $"&Marker={Uri.EscapeDataString(request.Marker)}";
        }

        if (request.MaxItems is { } max)
        {
            query += $"&MaxItems={max.ToString(CultureInfo.InvariantCulture)}";
        }

        var url = new Uri($"{_base}/2025-12-01/durable-executions/{Uri.EscapeDataString(request.DurableExecutionArn)}/state?{query}");
        using var response = await SendAsync(HttpMethod.Get, url, null, cancellationToken);
        return await JsonSerializer.DeserializeAsync(await response.Content.ReadAsStreamAsync(cancellationToken),
            DurableWireJsonContext.Default.GetDurableExecutionStateResponse, cancellationToken) ?? new GetDurableExecutionStateResponse();
    }

    public void Dispose() => _http.Dispose();

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url, byte[]? body, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            HttpResponseMessage? response = null;
            try
            {
                using var request = new HttpRequestMessage(method, url);
                if (body is not null)
                {
                    request.Content = new ByteArrayContent(body);
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                }

                Sign(request, url, body);
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return response;
                }

                var error = await ReadErrorAsync(response, cancellationToken);
                response.Dispose();
                if (!error.IsRetryable || attempt >= _options.MaxAttempts)
                {
                    throw error;
                }
            }
            catch (Exception e) when (IsNetworkFailure(e, cancellationToken) && attempt < _options.MaxAttempts)
            {
                response?.Dispose();
            }

            await Task.Delay(Backoff(attempt), _time, cancellationToken);
        }
    }

    private static bool IsNetworkFailure(Exception e, CancellationToken cancellationToken) =>
        e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested);

    // Full jitter over 100 ms × 2^(attempt−1), as the AWS SDKs' standard retry mode, capped at 20 s.
    private static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * Math.Min(20_000, 100 * Math.Pow(2, attempt - 1)));

    private void Sign(HttpRequestMessage request, Uri url, byte[]? body)
    {
        if (_options.Credentials is not { } credentials)
        {
            return;
        }

        var headers = body is null ? [] : new[] { new KeyValuePair<string, string>("content-type", "application/json") };
        foreach (var (name, value) in SigV4Signer.SignHeaders(request.Method.Method, url, headers, body ?? [],
                     credentials.AccessKeyId, credentials.SecretAccessKey, _options.Region, Service, _time.GetUtcNow(), credentials.SessionToken))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
    }

    /// <summary>AWS REST-JSON errors: status, <c>X-Amzn-ErrorType</c> (before any ':'), body <c>message</c>/<c>Message</c>/<c>__type</c>.</summary>
    private static async Task<DurableExecutionClientException> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string? code = response.Headers.TryGetValues("X-Amzn-ErrorType", out var values) ? values.FirstOrDefault() : null;
        string? message = null;
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using var document = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    if (property.Value.ValueKind != JsonValueKind.String)
                    {
                        continue;
                    }

                    if (property.NameEquals("message") || property.NameEquals("Message"))
                    {
                        message = property.Value.GetString();
                    }
                    else if (property.NameEquals("__type") && code is null)
                    {
                        code = property.Value.GetString();
                    }
                }
            }
        }
        catch (JsonException)
        {
            message = text;
        }

        if (code is not null)
        {
            var colon = code.IndexOf(':', StringComparison.Ordinal);
            code = colon >= 0 ? code[..colon] : code;
            var hash = code.LastIndexOf('#');
            code = hash >= 0 ? code[(hash + 1)..] : code;
        }

        var status = (int)response.StatusCode;
        return new DurableExecutionClientException(status, code,
            message ?? $"{(HttpStatusCode)status} from the Lambda API");
    }
}
