using System.Text;

namespace Lamina.Core.Invoke;

/// <summary>The function version an environment runs: it serves nothing else (ARCHITECTURE.md invariant 2).</summary>
/// <param name="Revision">The version's RevisionId: an updated $LATEST gets fresh environments.</param>
internal readonly record struct VersionKey(string AccountId, string FunctionName, string Version, string Revision)
{
    public override string ToString() => $"{AccountId}:{FunctionName}:{Version}";
}

/// <summary>How an invocation ended, as the Invoke API reports it.</summary>
internal enum InvocationStatus
{
    Success,

    /// <summary>The runtime posted /error (or the function crashed, timed out, overflowed): HTTP 200 with X-Amz-Function-Error.</summary>
    FunctionError,
}

/// <summary>
/// The outcome of one invocation: the payload the caller receives (the result, or the error JSON AWS
/// returns) and, for errors, the error type for logs and metrics.
/// </summary>
internal sealed record InvocationResult(InvocationStatus Status, byte[] Payload, string? ErrorType = null)
{
    public bool IsError => Status != InvocationStatus.Success;

    public string ContentType { get; init; } = "application/json";

    public static InvocationResult Error(string errorType, string errorMessage) =>
        new(InvocationStatus.FunctionError, ErrorJson(errorType, errorMessage), errorType);

    /// <summary>AWS's platform error payload: <c>{"errorType":"...","errorMessage":"..."}</c>.</summary>
    public static byte[] ErrorJson(string errorType, string errorMessage)
    {
        using var buffer = new MemoryStream();
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions
               {
                   Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
               }))
        {
            json.WriteStartObject();
            json.WriteString("errorType", errorType);
            json.WriteString("errorMessage", errorMessage);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}

/// <summary>Receives a streamed response as the runtime produces it (InvokeWithResponseStream).</summary>
internal interface IResponseStreamSink
{
    /// <summary>Called before delivery with the version that will run (sent as a response header before the body).</summary>
    void Resolved(string executedVersion);

    /// <summary>Called once before the first chunk with the runtime's content type.</summary>
    ValueTask StartAsync(string contentType, CancellationToken cancellationToken);

    ValueTask WriteAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken);
}

/// <summary>
/// One invocation in flight: what the runtime receives from <c>/next</c>, and the completion the
/// invoker awaits. Created by the invoker, delivered to exactly one environment.
/// </summary>
internal sealed class Invocation
{
    private readonly TaskCompletionSource<InvocationResult> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StringBuilder _log = new();

    public required string RequestId { get; init; }

    public required ReadOnlyMemory<byte> Payload { get; init; }

    public string ContentType { get; init; } = "application/json";

    /// <summary>The ARN as invoked (with the version or alias the caller named).</summary>
    public required string InvokedFunctionArn { get; init; }

    /// <summary>Set when delivered: now plus the function timeout.</summary>
    public DateTimeOffset Deadline { get; set; }

    /// <summary>Decoded JSON of <c>X-Amz-Client-Context</c>, for <c>Lambda-Runtime-Client-Context</c>.</summary>
    public string? ClientContext { get; init; }

    public string? CognitoIdentity { get; init; }

    public required string TraceId { get; init; }

    public string? TenantId { get; init; }

    /// <summary>Non-null for InvokeWithResponseStream.</summary>
    public IResponseStreamSink? Stream { get; init; }

    public Task<InvocationResult> Result => _result.Task;

    public bool IsCompleted => _result.Task.IsCompleted;

    public bool TryComplete(InvocationResult result) => _result.TrySetResult(result);

    /// <summary>The invocation's log lines (START..REPORT), for <c>X-Amz-Log-Type: Tail</c>.</summary>
    public void AppendLog(string line)
    {
        lock (_log)
        {
            _log.Append(line);
            if (!line.EndsWith('\n'))
            {
                _log.Append('\n');
            }
        }
    }

    /// <summary>The last 4 KB of the invocation's log (AWS: base64 of logs[-4096:]).</summary>
    public byte[] LogTail(int maxBytes = 4096)
    {
        string text;
        lock (_log)
        {
            text = _log.ToString();
        }

        var bytes = Encoding.UTF8.GetBytes(text);
        return bytes.Length <= maxBytes ? bytes : bytes[^maxBytes..];
    }
}
