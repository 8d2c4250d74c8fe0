using System.Text;
using System.Text.Json;
using Lamina.Core.Api.Lambda;
using Lamina.Core.Async;
using Lamina.Core.Durable;
using Lamina.Core.Audit;
using Lamina.Core.Errors;
using Lamina.Core.Functions;
using Lamina.Core.Invoke;
using Lamina.Core.Storage;
using Lamina.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Lamina.DataPlane;

/// <summary>Invoke and InvokeWithResponseStream, the Lambda data-plane operations.</summary>
internal static class InvokeApi
{
    private static readonly IReadOnlyList<string> InvocationTypes = ["Event", "RequestResponse", "DryRun"];
    private static readonly IReadOnlyList<string> StreamInvocationTypes = ["RequestResponse", "DryRun"];
    private static readonly IReadOnlyList<string> LogTypes = ["None", "Tail"];

    public static void Map(IEndpointRouteBuilder app)
    {
        // The front door admits 6,291,456 bytes of payload; larger gets AWS's 413. Data events: the payload is
        // never recorded, only which function was invoked and how.
        app.MapPost("/2015-03-31/functions/{FunctionName}/invocations", context => Run(context, InvokeAsync))
            .WithMetadata(DataEvent("Invoke", "InvokeFunction"));
        app.MapPost("/2014-11-13/functions/{FunctionName}/invoke-async", context => Run(context, InvokeAsyncLegacy))
            .WithMetadata(DataEvent("InvokeAsync", "InvokeAsync"));
        app.MapPost("/2014-11-13/functions/{FunctionName}/invoke-async/", context => Run(context, InvokeAsyncLegacy))
            .WithMetadata(DataEvent("InvokeAsync", "InvokeAsync"));
        app.MapPost("/2021-11-15/functions/{FunctionName}/response-streaming-invocations", context => Run(context, InvokeStreamAsync))
            .WithMetadata(DataEvent("InvokeWithResponseStream", "InvokeFunction"));
    }

    private static ApiOperation DataEvent(string name, string limitName) =>
        new("lambda", name, Invoker.MaxSyncPayload) { LimitName = limitName, Audit = AuditCategory.Data, AuditBody = false, AuditResponse = false };

    private static async Task Run(HttpContext context, Func<ApiCall, Task<ApiResult?>> handler)
    {
        var call = context.Features.GetRequiredFeature<ApiCall>();
        var result = await handler(call);
        if (result is not null)
        {
            await result.WriteAsync(call);
        }
    }

    private static Outcome<(FunctionTarget Target, string InvocationType, bool Tail)> Parse(ApiCall call, IReadOnlyList<string> invocationTypes)
    {
        var invocationType = call.Header("x-amz-invocation-type") ?? "RequestResponse";
        var logType = call.Header("x-amz-log-type") ?? "None";
        call.Audit.Request("invocationType", invocationType);
        call.Audit.Request("logType", logType);
        var v = new Violations();
        v.Enum(invocationType, "invocationType", (IReadOnlyCollection<string>)invocationTypes);
        v.Enum(logType, "logType", (IReadOnlyCollection<string>)LogTypes);
        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        var target = call.Target();
        return target.IsSuccess ? (target.Value, invocationType, logType == "Tail") : target.Error;
    }

    private static async Task<ApiResult?> InvokeAsync(ApiCall call)
    {
        if (!Parse(call, InvocationTypes).TryGetValue(out var parsed, out var error))
        {
            return error;
        }

        var region = call.Service<ControlPlaneOptions>().Region;
        if (await call.AuthorizeFunctionAsync("lambda:InvokeFunction", parsed.Target) is { } denied)
        {
            return denied;
        }

        var resolved = await call.Service<FunctionService>().ResolveAsync(parsed.Target, call.Aborted());
        if (resolved.TryGetValue(out var found, out _) && await DurableInvokeAsync(call, parsed.Target, found.Version, parsed.InvocationType) is { } durable)
        {
            return durable;
        }

        if (parsed.InvocationType == "Event")
        {
            // Committed (fsync'd) before the 202, so an accepted event survives any crash.
            var queued = await call.Service<AsyncInvokeService>().EnqueueAsync(parsed.Target, call.Body, call.Header("x-amz-client-context"), call.Aborted());
            if (!queued.TryGetValue(out var requestId, out error))
            {
                return error;
            }

            call.Http.Response.Headers["x-amzn-RequestId"] = requestId;
            return ApiResult.Empty(null, 202);
        }

        var outcome = await call.Service<Invoker>().InvokeAsync(new InvokeCommand
        {
            Target = parsed.Target,
            Resolved = resolved.IsSuccess ? resolved.Value : null,
            Payload = call.Body,
            InvocationType = parsed.InvocationType,
            TailLog = parsed.Tail,
            ClientContextBase64 = call.Header("x-amz-client-context"),
        }, call.Aborted());
        if (!outcome.TryGetValue(out var response, out error))
        {
            return error;
        }

        var headers = call.Http.Response.Headers;
        headers["X-Amz-Executed-Version"] = response.ExecutedVersion;
        call.Audit.Data("functionVersion", Arns.Function(region, parsed.Target.AccountId, parsed.Target.Name, response.ExecutedVersion));
        if (response.StatusCode == 204)
        {
            return ApiResult.Empty(null, 204);
        }

        if (response.Result!.IsError)
        {
            headers["X-Amz-Function-Error"] = "Unhandled";
        }

        if (response.LogTail is { } tail)
        {
            headers["X-Amz-Log-Result"] = Convert.ToBase64String(tail);
        }

        return ApiResult.Bytes(200, response.Result.Payload, response.Result.IsError ? "application/json" : response.Result.ContentType);
    }

    /// <summary>
    /// Invoke of a durable function starts (or, with the same name and input, rejoins) an execution. It
    /// needs a qualified ARN; an Event invoke answers 202 at once, a synchronous one waits for the execution
    /// to close (at most 15 minutes) and answers with its result, or its error as a function error.
    /// Returns null for functions that are not durable.
    /// </summary>
    private static async Task<ApiResult?> DurableInvokeAsync(ApiCall call, FunctionTarget target, FunctionVersionRecord version, string invocationType)
    {
        if (version.Config.DurableConfig is null || invocationType == "DryRun")
        {
            return null;
        }

        if (target.Qualifier is null)
        {
            return LambdaErrors.InvalidParameter(
                "Durable functions must be invoked with a qualified ARN: add a version, an alias or $LATEST (for example --qualifier '$LATEST').");
        }

        // AWS: an asynchronous start takes at most 256 KB of input.
        if (invocationType == "Event" && call.Body.Length > 262_144)
        {
            return LambdaErrors.RequestTooLarge("Request must be smaller than 262144 bytes for the InvokeFunction operation");
        }

        if (!call.Body.AsSpan().IsEmpty && !IsJson(call.Body))
        {
            return LambdaErrors.InvalidRequestContent("Could not parse request body into json: Could not parse payload into json");
        }

        var engine = call.Service<DurableEngine>();
        var started = await engine.StartAsync(version, call.Header("x-amz-durable-execution-name"), call.Body,
            call.Header("x-amzn-trace-id"), null, call.Aborted());
        if (!started.TryGetValue(out var start, out var error))
        {
            return error;
        }

        var headers = call.Http.Response.Headers;
        headers["X-Amz-Durable-Execution-Arn"] = start.Execution.Arn;
        headers["X-Amz-Executed-Version"] = version.Version;
        if (invocationType == "Event")
        {
            return ApiResult.Empty(null, 202);
        }

        var closed = await engine.WaitForCloseAsync(start.Execution.Arn, DurableEngine.SyncWaitLimit, call.Aborted());
        var description = closed is null ? null : engine.Describe(closed);
        if (closed is { Status: ExecutionStatus.Succeeded })
        {
            return ApiResult.Bytes(200, System.Text.Encoding.UTF8.GetBytes(description!["Result"]?.GetValue<string>() ?? "null"), "application/json");
        }

        headers["X-Amz-Function-Error"] = "Unhandled";
        var failure = closed is null || !closed.IsClosed
            ? new System.Text.Json.Nodes.JsonObject
            {
                ["errorType"] = "DurableExecutionStillRunning",
                ["errorMessage"] = "The durable execution did not finish within 15 minutes; it keeps running. Follow it with GetDurableExecution.",
            }
            : new System.Text.Json.Nodes.JsonObject
            {
                ["errorType"] = description!["Error"]?["ErrorType"]?.GetValue<string>() ?? closed.Status,
                ["errorMessage"] = description["Error"]?["ErrorMessage"]?.GetValue<string>() ?? $"The durable execution ended {closed.Status}.",
            };
        if (description?["Error"]?["StackTrace"] is System.Text.Json.Nodes.JsonArray trace)
        {
            failure["stackTrace"] = trace.DeepClone();
        }

        return ApiResult.Bytes(200, JsonSerializer.SerializeToUtf8Bytes(failure), "application/json");
    }

    private static bool IsJson(byte[] body)
    {
        try
        {
            using var _ = JsonDocument.Parse(body);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The deprecated InvokeAsync: the body is the event; answers 202 <c>{"Status":202}</c>.</summary>
    private static async Task<ApiResult?> InvokeAsyncLegacy(ApiCall call)
    {
        if (!call.Target(false).TryGetValue(out var target, out var error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:InvokeFunction", target) is { } denied)
        {
            return denied;
        }

        var queued = await call.Service<AsyncInvokeService>().EnqueueAsync(target, call.Body, null, call.Aborted());
        if (!queued.TryGetValue(out var requestId, out error))
        {
            return error;
        }

        call.Http.Response.Headers["x-amzn-RequestId"] = requestId;
        return ApiResult.Json(202, new InvokeAsyncResponse { Status = 202 }, LambdaJson.Wire.InvokeAsyncResponse);
    }

    /// <summary>
    /// InvokeWithResponseStream: the body is an event stream of PayloadChunk events as the runtime writes
    /// them, ending with InvokeComplete (error code and details, log tail).
    /// </summary>
    private static async Task<ApiResult?> InvokeStreamAsync(ApiCall call)
    {
        if (!Parse(call, StreamInvocationTypes).TryGetValue(out var parsed, out var error))
        {
            return error;
        }

        var region = call.Service<ControlPlaneOptions>().Region;
        if (await call.AuthorizeFunctionAsync("lambda:InvokeFunction", parsed.Target) is { } denied)
        {
            return denied;
        }

        var sink = new EventStreamSink(call.Http);
        var outcome = await call.Service<Invoker>().InvokeAsync(new InvokeCommand
        {
            Target = parsed.Target,
            Payload = call.Body,
            InvocationType = parsed.InvocationType,
            TailLog = parsed.Tail,
            ClientContextBase64 = call.Header("x-amz-client-context"),
            Stream = sink,
        }, call.Aborted());
        if (!outcome.TryGetValue(out var response, out error))
        {
            if (sink.Started)
            {
                await sink.CompleteAsync(error.Code, error.Message, null);
                return null;
            }

            return error;
        }

        if (response.StatusCode == 204)
        {
            call.Http.Response.Headers["X-Amz-Executed-Version"] = response.ExecutedVersion;
            return ApiResult.Empty(null, 204);
        }

        if (!sink.Started)
        {
            call.Http.Response.Headers["X-Amz-Executed-Version"] = response.ExecutedVersion;
            await sink.StartAsync("application/json", CancellationToken.None);
            if (!response.Result!.IsError && response.Result.Payload.Length > 0)
            {
                await sink.WriteAsync(response.Result.Payload, CancellationToken.None);
            }
        }

        string? code = null, details = null;
        if (response.Result!.IsError)
        {
            (code, details) = ErrorParts(response.Result);
        }

        await sink.CompleteAsync(code, details, response.LogTail is { } tail ? Convert.ToBase64String(tail) : null);
        return null;
    }

    private static (string Code, string Details) ErrorParts(InvocationResult result)
    {
        try
        {
            using var doc = JsonDocument.Parse(result.Payload);
            var message = doc.RootElement.TryGetProperty("errorMessage", out var m) ? m.GetString() ?? "" : Encoding.UTF8.GetString(result.Payload);
            return (result.ErrorType ?? "Unhandled", message);
        }
        catch (JsonException)
        {
            return (result.ErrorType ?? "Unhandled", Encoding.UTF8.GetString(result.Payload));
        }
    }

    /// <summary>Writes the runtime's chunks to the caller as PayloadChunk events as they arrive.</summary>
    private sealed class EventStreamSink(HttpContext http) : IResponseStreamSink
    {
        public bool Started { get; private set; }

        public void Resolved(string executedVersion) => http.Response.Headers["X-Amz-Executed-Version"] = executedVersion;

        public async ValueTask StartAsync(string contentType, CancellationToken cancellationToken)
        {
            Started = true;
            var response = http.Response;
            response.StatusCode = 200;
            response.ContentType = "application/vnd.amazon.eventstream";
            response.Headers["ResponseStreamContentType"] = contentType;
            if (http.Features.Get<IHttpResponseBodyFeature>() is { } body)
            {
                body.DisableBuffering();
            }

            await response.StartAsync(cancellationToken);
        }

        public async ValueTask WriteAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken)
        {
            await http.Response.Body.WriteAsync(EventStreamWriter.Event("PayloadChunk", "application/octet-stream", chunk.Span), cancellationToken);
            await http.Response.Body.FlushAsync(cancellationToken);
        }

        public async Task CompleteAsync(string? errorCode, string? errorDetails, string? logResult)
        {
            var fields = new Dictionary<string, string>();
            if (errorCode is not null)
            {
                fields["ErrorCode"] = errorCode;
                fields["ErrorDetails"] = errorDetails ?? "";
            }

            if (logResult is not null)
            {
                fields["LogResult"] = logResult;
            }

            await http.Response.Body.WriteAsync(EventStreamWriter.Event("InvokeComplete", "application/json", JsonSerializer.SerializeToUtf8Bytes(fields)));
            await http.Response.Body.FlushAsync();
        }
    }
}
