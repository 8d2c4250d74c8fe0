using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Lamina.Core.Errors;

namespace Lamina.Http;

/// <summary>What a handler answers; written once the call's audit record is durable.</summary>
internal abstract class ApiResult
{
    /// <summary>
    /// AWS escapes only what JSON requires, so '+' in a CodeSha256 or an apostrophe in a message stays
    /// literal instead of becoming \u002B. The escaping is the writer's, not the serializer options':
    /// an encoder in the options turns off the source-generated fast path (a ListFunctions page then
    /// serializes about 25% slower), while the fast path honours the writer's encoder.
    /// </summary>
    private static readonly JsonWriterOptions WireWriter = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    public abstract int StatusCode { get; }

    public AwsError? Error => (this as ErrorResult)?.Value;

    /// <summary>
    /// Writes the answer once the call's audit record is durable; if it cannot be made so, the caller gets a 500
    /// in place of the answer (<see cref="AuditRecorder"/>).
    /// </summary>
    public async Task WriteAsync(ApiCall call)
    {
        call.Result = this;
        if (!await call.Service<AuditRecorder>().CommitAsync(call))
        {
            call.Audit.FailureAnswered = true;
            await AwsErrorWriter.WriteAsync(call.Http, call.Operation, AuditRecorder.Unrecorded(call.Operation));
            return;
        }

        await WriteBodyAsync(call);
    }

    protected abstract Task WriteBodyAsync(ApiCall call);

    /// <summary>Writes the answer's members, redacted, into the audit record's <c>responseElements</c> object; nothing by default.</summary>
    public virtual void WriteAuditResponse(ApiCall call, Utf8JsonWriter writer, HashSet<string> written)
    {
    }

    public static implicit operator ApiResult(AwsError error) => new ErrorResult(error);

    public static ApiResult Json<T>(int status, T value, JsonTypeInfo<T> typeInfo) => new JsonResult<T>(status, value, typeInfo);

    public static ApiResult From<T>(Outcome<T> outcome, int status, JsonTypeInfo<T> typeInfo) =>
        outcome.IsSuccess ? new JsonResult<T>(status, outcome.Value, typeInfo) : new ErrorResult(outcome.Error);

    /// <summary>A JSON 1.1 service's answer (KMS): 200 with <c>application/x-amz-json-1.1</c>.</summary>
    public static ApiResult Json11<T>(T value, JsonTypeInfo<T> typeInfo) => new JsonResult<T>(200, value, typeInfo, Json11ContentType);

    /// <summary>A JSON 1.1 operation without output: 200 and an empty body, or the error.</summary>
    public static ApiResult Json11Empty(AwsError? error) => Empty(error, 200);

    public const string Json11ContentType = "application/x-amz-json-1.1";

    /// <summary>204 (or another status) with no body, or the error.</summary>
    public static ApiResult Empty(AwsError? error, int status = 204) => error is null ? new EmptyResult(status) : new ErrorResult(error);

    public static ApiResult Bytes(int status, byte[] body, string contentType) => new BytesResult(status, body, contentType);

    private sealed class JsonResult<T>(int status, T value, JsonTypeInfo<T> typeInfo, string contentType = "application/json") : ApiResult
    {
        public override int StatusCode => status;

        public override void WriteAuditResponse(ApiCall call, Utf8JsonWriter writer, HashSet<string> written) =>
            AuditJson.CopyMembers(JsonSerializer.SerializeToUtf8Bytes(value, typeInfo), writer, written, null);

        protected override async Task WriteBodyAsync(ApiCall call)
        {
            var response = call.Http.Response;
            response.StatusCode = status;
            response.ContentType = call.Operation.Protocol == ApiProtocol.Json11 ? Json11ContentType : contentType;
            using var buffer = new PooledBufferWriter();
            using (var writer = new Utf8JsonWriter(buffer, WireWriter))
            {
                JsonSerializer.Serialize(writer, value, typeInfo);
            }

            response.ContentLength = buffer.WrittenCount;
            await response.Body.WriteAsync(buffer.WrittenMemory);
        }
    }

    private sealed class EmptyResult(int status) : ApiResult
    {
        public override int StatusCode => status;

        protected override Task WriteBodyAsync(ApiCall call)
        {
            call.Http.Response.StatusCode = status;
            return Task.CompletedTask;
        }
    }

    private sealed class BytesResult(int status, byte[] body, string contentType) : ApiResult
    {
        public override int StatusCode => status;

        protected override async Task WriteBodyAsync(ApiCall call)
        {
            var response = call.Http.Response;
            response.StatusCode = status;
            response.ContentType = contentType;
            response.ContentLength = body.Length;
            await response.Body.WriteAsync(body);
        }
    }

    internal sealed class ErrorResult(AwsError error) : ApiResult
    {
        public AwsError Value => error;

        public override int StatusCode => error.StatusCode;

        protected override Task WriteBodyAsync(ApiCall call) => AwsErrorWriter.WriteAsync(call.Http, call.Operation, error);
    }
}
