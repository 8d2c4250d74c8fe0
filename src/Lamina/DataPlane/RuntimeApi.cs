using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Lamina.Core.Invoke;
using Lamina.Sandboxes;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Lamina.DataPlane;

/// <summary>
/// The Lambda Runtime API (<c>/2018-06-01/runtime/...</c>) and Extensions API (<c>/2020-01-01/extension/...</c>)
/// that runtimes inside sandboxes call. Served on its own listener; the caller's environment is known
/// from the connection (see <see cref="RuntimeApiRegistry"/>), so no signature is involved.
/// </summary>
internal static class RuntimeApi
{
    private static readonly JsonWriterOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Map(IEndpointRouteBuilder app, string hostPattern)
    {
        var group = app.MapGroup("").RequireHost(hostPattern);
        group.MapGet("/2018-06-01/runtime/invocation/next", Next);
        group.MapPost("/2018-06-01/runtime/invocation/{RequestId}/response", Response);
        group.MapPost("/2018-06-01/runtime/invocation/{RequestId}/error", Error);
        group.MapPost("/2018-06-01/runtime/init/error", InitError);
        group.MapPost("/2020-01-01/extension/register", Register);
        group.MapGet("/2020-01-01/extension/event/next", ExtensionNext);
        group.MapPost("/2020-01-01/extension/init/error", context => ExtensionError(context, duringInit: true));
        group.MapPost("/2020-01-01/extension/exit/error", context => ExtensionError(context, duringInit: false));
        // Telemetry and Logs API subscriptions are accepted and not delivered, as the Runtime Interface Emulator does.
        group.MapMethods("/2022-07-01/telemetry", ["PUT"], context => Reply(context, new RuntimeApiReply(202, "Telemetry.NotSupported", "Telemetry API is not supported")));
        group.MapMethods("/2020-08-15/logs", ["PUT"], context => Reply(context, new RuntimeApiReply(202, "Logs.NotSupported", "Logs API is not supported")));
    }

    private static SandboxEnvironment? Environment(HttpContext context) =>
        context.RequestServices.GetRequiredService<RuntimeApiRegistry>().Find(context);

    private static Task Unknown(HttpContext context) =>
        Reply(context, new RuntimeApiReply(403, "Lamina.UnknownEnvironment", "This connection does not belong to a running environment."));

    private static async Task Next(HttpContext context)
    {
        var environment = Environment(context);
        if (environment is null)
        {
            await Unknown(context);
            return;
        }

        var (invocation, refusal) = await environment.NextAsync(context.RequestAborted);
        if (invocation is null)
        {
            await Reply(context, refusal.Status != 0 ? refusal : new RuntimeApiReply(500, "Runtime.ShuttingDown", "The environment is shutting down."));
            return;
        }

        var headers = context.Response.Headers;
        headers["Lambda-Runtime-Aws-Request-Id"] = invocation.RequestId;
        headers["Lambda-Runtime-Deadline-Ms"] = invocation.Deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        headers["Lambda-Runtime-Invoked-Function-Arn"] = invocation.InvokedFunctionArn;
        headers["Lambda-Runtime-Trace-Id"] = invocation.TraceId;
        if (invocation.ClientContext is { } clientContext)
        {
            headers["Lambda-Runtime-Client-Context"] = clientContext;
        }

        if (invocation.CognitoIdentity is { } cognito)
        {
            headers["Lambda-Runtime-Cognito-Identity"] = cognito;
        }

        if (invocation.TenantId is { } tenant)
        {
            headers["Lambda-Runtime-Aws-Tenant-Id"] = tenant;
        }

        context.Response.ContentType = invocation.ContentType;
        context.Response.ContentLength = invocation.Payload.Length;
        await context.Response.Body.WriteAsync(invocation.Payload);
    }

    private static async Task Response(HttpContext context)
    {
        var environment = Environment(context);
        if (environment is null)
        {
            await Unknown(context);
            return;
        }

        var requestId = context.Request.RouteValues["RequestId"] as string ?? "";
        var check = environment.CheckCurrent(requestId, "InvocationResponse");
        if (check.Status != 0)
        {
            await Reply(context, check);
            return;
        }

        var streaming = string.Equals(context.Request.Headers["Lambda-Runtime-Function-Response-Mode"], "streaming", StringComparison.OrdinalIgnoreCase);
        var invocation = environment.CurrentInvocation(requestId);
        if (streaming && invocation?.Stream is { } sink)
        {
            await Reply(context, await StreamAsync(context, environment, invocation, sink));
            return;
        }

        var body = await ReadBodyAsync(context, SandboxEnvironment.MaxResponseBytes);
        if (body is null)
        {
            await Reply(context, environment.Respond(requestId, new byte[SandboxEnvironment.MaxResponseBytes + 1], null));
            return;
        }

        if (streaming && StreamError(context) is { } streamError)
        {
            // A streaming handler behind a buffered Invoke: a mid-stream error becomes the function error.
            await Reply(context, environment.Fail(requestId, streamError.Type, streamError.Body));
            return;
        }

        var contentType = context.Request.ContentType;
        if (streaming && contentType == "application/vnd.awslambda.http-integration-response")
        {
            contentType = "application/octet-stream";
        }

        await Reply(context, environment.Respond(requestId, body, contentType));
    }

    /// <summary>Copies a streamed response to the caller chunk by chunk (200 MB at most, as AWS), then reads the error trailers.</summary>
    private static async Task<RuntimeApiReply> StreamAsync(HttpContext context, SandboxEnvironment environment, Invocation invocation, IResponseStreamSink sink)
    {
        const long MaxStreamBytes = 200L * 1024 * 1024;
        context.Features.Get<IHttpMinRequestBodyDataRateFeature>()?.MinDataRate = null;
        await sink.StartAsync(context.Request.ContentType ?? "application/octet-stream", CancellationToken.None);
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        long total = 0;
        try
        {
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                total += read;
                if (total > MaxStreamBytes)
                {
                    return environment.CompleteStream(invocation.RequestId, InvocationResult.Error("Function.ResponseSizeTooLarge",
                        $"Response payload size exceeded maximum allowed payload size ({MaxStreamBytes} bytes)."));
                }

                await sink.WriteAsync(buffer.AsMemory(0, read), CancellationToken.None);
            }
        }
        catch (IOException)
        {
            return environment.CompleteStream(invocation.RequestId, InvocationResult.Error("Runtime.TruncatedResponse", "The runtime's streamed response was cut short."));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var error = StreamError(context);
        return environment.CompleteStream(invocation.RequestId, error is { } e
            ? new InvocationResult(InvocationStatus.FunctionError, e.Body, e.Type)
            : new InvocationResult(InvocationStatus.Success, []));
    }

    /// <summary>A mid-stream error arrives as trailers: the type, and the error JSON as base64.</summary>
    private static (string Type, byte[] Body)? StreamError(HttpContext context)
    {
        if (!context.Request.SupportsTrailers() || !context.Request.CheckTrailersAvailable())
        {
            return null;
        }

        var type = context.Request.GetTrailer("Lambda-Runtime-Function-Error-Type").ToString();
        if (string.IsNullOrEmpty(type))
        {
            return null;
        }

        var encoded = context.Request.GetTrailer("Lambda-Runtime-Function-Error-Body").ToString();
        byte[] body;
        try
        {
            body = string.IsNullOrEmpty(encoded) ? InvocationResult.ErrorJson(type, "") : Convert.FromBase64String(encoded);
        }
        catch (FormatException)
        {
            body = InvocationResult.ErrorJson(type, encoded);
        }

        return (type, body);
    }

    private static async Task Error(HttpContext context)
    {
        var environment = Environment(context);
        if (environment is null)
        {
            await Unknown(context);
            return;
        }

        var requestId = context.Request.RouteValues["RequestId"] as string ?? "";
        var body = await ReadBodyAsync(context, SandboxEnvironment.MaxResponseBytes) ?? [];
        await Reply(context, environment.Fail(requestId, NullIfEmpty(context.Request.Headers["Lambda-Runtime-Function-Error-Type"]), body));
    }

    private static async Task InitError(HttpContext context)
    {
        var environment = Environment(context);
        if (environment is null)
        {
            await Unknown(context);
            return;
        }

        var body = await ReadBodyAsync(context, SandboxEnvironment.MaxResponseBytes) ?? [];
        await Reply(context, environment.FailInit(NullIfEmpty(context.Request.Headers["Lambda-Runtime-Function-Error-Type"]), body));
    }

    private static async Task Register(HttpContext context)
    {
        var environment = Environment(context);
        if (environment is null)
        {
            await Unknown(context);
            return;
        }

        var name = context.Request.Headers["Lambda-Extension-Name"].ToString();
        var body = await ReadBodyAsync(context, 64 * 1024) ?? [];
        bool invoke = false, shutdown = false;
        try
        {
            using var doc = JsonDocument.Parse(body.Length == 0 ? "{}"u8.ToArray() : body);
            if (doc.RootElement.TryGetProperty("events", out var events) && events.ValueKind == JsonValueKind.Array)
            {
                foreach (var e in events.EnumerateArray())
                {
                    invoke |= e.GetString() == "INVOKE";
                    shutdown |= e.GetString() == "SHUTDOWN";
                }
            }

            if (doc.RootElement.TryGetProperty("configurationKeys", out _))
            {
                await Reply(context, new RuntimeApiReply(400, "Extension.ConfigurationKeysNotSupported", "configurationKeys are not supported."));
                return;
            }
        }
        catch (JsonException)
        {
            await Reply(context, new RuntimeApiReply(400, "InvalidRequestFormat", "The register body must be JSON: {\"events\":[\"INVOKE\",\"SHUTDOWN\"]}."));
            return;
        }

        if (name.Length == 0)
        {
            await Reply(context, new RuntimeApiReply(400, "Extension.MissingHeader", "Lambda-Extension-Name header is required."));
            return;
        }

        var (id, refusal) = environment.RegisterExtension(name, invoke, shutdown);
        if (id is null)
        {
            await Reply(context, refusal);
            return;
        }

        context.Response.Headers["Lambda-Extension-Identifier"] = id;
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        var info = new Dictionary<string, string>
        {
            ["functionName"] = environment.FunctionName,
            ["functionVersion"] = environment.FunctionVersion,
            ["handler"] = environment.Handler,
        };
        if (context.Request.Headers["Lambda-Extension-Accept-Feature"].ToString().Contains("accountId", StringComparison.Ordinal))
        {
            info["accountId"] = environment.AccountId;
        }

        await context.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(info));
    }

    private static async Task ExtensionNext(HttpContext context)
    {
        var environment = Environment(context);
        if (environment is null)
        {
            await Unknown(context);
            return;
        }

        var id = context.Request.Headers["Lambda-Extension-Identifier"].ToString();
        var (next, refusal) = await environment.ExtensionNextAsync(id, context.RequestAborted);
        if (next is null)
        {
            await Reply(context, refusal.Status != 0 ? refusal : new RuntimeApiReply(500, "Extension.ShuttingDown", "The environment is shutting down."));
            return;
        }

        context.Response.Headers["Lambda-Extension-Event-Identifier"] = Guid.NewGuid().ToString();
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = next.Length;
        await context.Response.Body.WriteAsync(next);
    }

    private static async Task ExtensionError(HttpContext context, bool duringInit)
    {
        var environment = Environment(context);
        if (environment is null)
        {
            await Unknown(context);
            return;
        }

        await ReadBodyAsync(context, 1024 * 1024);
        var id = context.Request.Headers["Lambda-Extension-Identifier"].ToString();
        await Reply(context, environment.ExtensionError(id, NullIfEmpty(context.Request.Headers["Lambda-Extension-Function-Error-Type"]), duringInit));
    }

    private static string? NullIfEmpty(Microsoft.Extensions.Primitives.StringValues value) => value.Count == 0 || string.IsNullOrEmpty(value[0]) ? null : value[0];

    /// <summary>Reads a body of at most <paramref name="limit"/> bytes; null when it is larger.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContext context, int limit)
    {
        if (context.Request.ContentLength is { } declared)
        {
            if (declared > limit)
            {
                return null;
            }

            var exact = new byte[declared];
            await context.Request.Body.ReadExactlyAsync(exact, context.RequestAborted);
            return exact;
        }

        using var collected = new MemoryStream();
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                if (collected.Length + read > limit)
                {
                    return null;
                }

                collected.Write(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return collected.ToArray();
    }

    private static async Task Reply(HttpContext context, RuntimeApiReply reply)
    {
        context.Response.StatusCode = reply.Status;
        context.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Relaxed))
        {
            json.WriteStartObject();
            if (reply.ErrorType is null)
            {
                json.WriteString("status", "OK");
            }
            else
            {
                json.WriteString("errorMessage", reply.Message);
                json.WriteString("errorType", reply.ErrorType);
            }

            json.WriteEndObject();
        }

        await context.Response.Body.WriteAsync(buffer.ToArray());
    }
}
