using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Lamina.Core.Auth;
using Lamina.Core.Errors;
using Microsoft.AspNetCore.Http.Features;

namespace Lamina.Http;

/// <summary>
/// One authenticated API request: its operation, buffered body, caller and request id. The front door
/// creates it; handlers read inputs from it and return an <see cref="ApiResult"/>.
/// </summary>
internal sealed class ApiCall : ISigV4Request
{
    private readonly Dictionary<string, string?> _headers = new(StringComparer.Ordinal);

    public ApiCall(HttpContext http, ApiOperation operation, string requestId, byte[] body, string payloadHash)
    {
        Http = http;
        Operation = operation;
        RequestId = requestId;
        Body = body;
        PayloadHash = payloadHash;
        var feature = http.Features.GetRequiredFeature<IHttpRequestFeature>();
        var raw = feature.RawTarget;
        var q = raw.IndexOf('?', StringComparison.Ordinal);
        RawPath = q < 0 ? raw : raw[..q];
        RawQuery = q < 0 ? "" : raw[(q + 1)..];
    }

    public HttpContext Http { get; }

    public ApiOperation Operation { get; }

    public string RequestId { get; }

    public byte[] Body { get; }

    public CallerIdentity Caller { get; set; } = null!;

    /// <summary>What this call's audit record will hold beyond what the front door derives; handlers add to it.</summary>
    public AuditScope Audit { get; set; } = new(DateTimeOffset.UnixEpoch);

    /// <summary>True once the front door has opened the call's audit record (an authenticated, recorded operation).</summary>
    public bool Audited { get; set; }

    /// <summary>The answer being written, once the handler has returned one (the record takes its error or response from it).</summary>
    public ApiResult? Result { get; set; }

    /// <summary>Query-protocol parameters (form body and URL query, decoded); empty for other protocols.</summary>
    public IReadOnlyDictionary<string, string> Form { get; init; } = new Dictionary<string, string>();

    public string Method => Http.Request.Method;

    public string RawPath { get; }

    public string RawQuery { get; }

    public string PayloadHash { get; }

    public string? Header(string lowerName)
    {
        if (_headers.TryGetValue(lowerName, out var cached))
        {
            return cached;
        }

        var values = Http.Request.Headers[lowerName];
        var value = values.Count switch
        {
            0 => null,
            1 => values[0],
            _ => string.Join(',', values.Select(v => v?.Trim())),
        };
        _headers[lowerName] = value;
        return value;
    }

    public T Service<T>()
        where T : notnull => Http.RequestServices.GetRequiredService<T>();

    public string Route(string name) => Http.Request.RouteValues[name] as string ?? "";

    public string? Query(string name) => Http.Request.Query.TryGetValue(name, out var v) ? v.ToString() : null;

    public IReadOnlyList<string> QueryAll(string name) =>
        Http.Request.Query.TryGetValue(name, out var v) ? v.Where(x => x is not null).Select(x => x!).ToList() : [];

    /// <summary>An integer query parameter; a malformed one is a validation error.</summary>
    public Outcome<int?> QueryInt(string name, string memberPath)
    {
        var raw = Query(name);
        if (raw is null)
        {
            return (int?)null;
        }

        return int.TryParse(raw, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value
            : new AwsError(400, "ValidationException",
                $"1 validation error detected: Value '{raw}' at '{memberPath}' failed to satisfy constraint: Member must be an integer");
    }

    /// <summary>Deserializes the JSON body; an empty body is an empty object.</summary>
    public Outcome<T> ReadJson<T>(JsonTypeInfo<T> typeInfo)
        where T : class
    {
        try
        {
            ReadOnlySpan<byte> span = Body;
            if (span.IsEmpty || span.Trim(" \t\r\n"u8).IsEmpty)
            {
                span = "{}"u8;
            }

            var value = JsonSerializer.Deserialize(span, typeInfo);
            return value is null
                ? new AwsError(400, "InvalidRequestContentException", "Could not parse request body into json: the body is the JSON literal null.")
                : value;
        }
        catch (JsonException ex)
        {
            return new AwsError(400, "InvalidRequestContentException", $"Could not parse request body into json: {ex.Message}");
        }
    }

    public string BodyText => Encoding.UTF8.GetString(Body);

    /// <summary>Base URL the caller used to reach us (for URLs handed back, such as code locations).</summary>
    public string BaseUrl => $"{Http.Request.Scheme}://{Http.Request.Host}";
}
