using System.Buffers;
using System.Security.Cryptography;
using Lamina.Core.Accounts;
using Lamina.Core.Audit;
using Lamina.Core.Auth;
using Lamina.Core.Errors;

namespace Lamina.Http;

/// <summary>
/// The front door of every AWS API request.
/// </summary>
/// <remarks>
/// (1) Routing has picked the endpoint, whose <see cref="ApiOperation"/> names the service and body limit.
///     <c>POST /</c> is shared by services (<see cref="RootDispatcher"/>): its operation is known only once
///     the body (query <c>Action=</c>) or the <c>X-Amz-Target</c> header is read, after step (2).
/// (2) The body is read whole (it is signed), refused with 413 past the limit before it is buffered (the
///     rest is read and discarded first, so that clients which send everything before reading see the 413).
/// (3) SigV4 is verified and the principal resolved; the signature's service must be the operation's.
/// (4) Only then does the handler run, which authorizes the action on its resource before touching state.
/// (5) The call's audit record is opened (<see cref="AuditRecorder"/>); the handler's <see cref="ApiResult"/> is
///     written only once the record is durable.
/// Requests no endpoint matches are authenticated too, then answered with UnknownOperationException
/// (InvalidAction for a query action Lamina does not serve). API requests reaching the Runtime API port from
/// anywhere but an environment or loopback are refused before (2): that plain-HTTP port is for sandboxes.
/// </remarks>
internal sealed partial class FrontDoor(RequestDelegate next, Authenticator authenticator, Sandboxes.RuntimeApiRegistry runtimeApi,
    AuditRecorder auditRecorder, ILogger<FrontDoor> logger)
{
    private static readonly ApiOperation UnknownLambda = new("lambda", "Unknown", 0);

    /// <summary>
    /// Over-limit bodies up to this size are read to the end and discarded before the 413 is written. AWS
    /// clients (botocore, the JS SDK) send the whole body before reading the response, and Kestrel's own
    /// drain gives up after 5 s and resets the connection: a 72 MB CreateFunction sent at 10 MB/s got a
    /// connection reset instead of RequestEntityTooLargeException. Larger bodies are not worth the bandwidth.
    /// </summary>
    private const long MaxDrainBytes = 256L * 1024 * 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        var operation = endpoint?.Metadata.GetMetadata<ApiOperation>();
        var dispatcher = endpoint?.Metadata.GetMetadata<RootDispatcher>();
        if (operation is null && dispatcher is null && endpoint is not null)
        {
            // Plain endpoints (health, metrics) carry no operation and need no signature.
            await next(context);
            return;
        }

        var requestId = Guid.NewGuid().ToString();
        context.Response.Headers["x-amzn-RequestId"] = requestId;
        operation ??= dispatcher is null ? UnknownLambda : RootDispatcher.Provisional(context);
        if (ThroughRuntimeApiFromOutside(context))
        {
            await AwsErrorWriter.WriteAsync(context, operation, new AwsError(403, "AccessDeniedException",
                "This port serves the Runtime API to sandboxes; call the Lamina API on its own listener (see 'lamina serve --listen')."));
            return;
        }

        var length = context.Request.ContentLength;
        if (length > operation.MaxBodyBytes)
        {
            await RefuseTooLargeAsync(context, operation, length <= MaxDrainBytes);
            return;
        }

        var body = await ReadBodyAsync(context, operation.MaxBodyBytes);
        if (body is null)
        {
            await RefuseTooLargeAsync(context, operation, drain: true);
            return;
        }

        AwsError? unknown = ReferenceEquals(operation, UnknownLambda) ? LambdaErrors.UnknownOperation(context.Request.Method, context.Request.Path) : null;
        IReadOnlyDictionary<string, string> form = new Dictionary<string, string>();
        if (dispatcher is not null)
        {
            (operation, form, unknown) = dispatcher.Resolve(context, operation, body);
        }

        var call = new ApiCall(context, operation, requestId, body, Convert.ToHexStringLower(SHA256.HashData(body))) { Form = form };
        var (identity, problem) = await authenticator.AuthenticateAsync(call, context.RequestAborted);
        if (identity is null)
        {
            Log.AuthenticationFailed(logger, operation.Name, problem!.Failure, context.Connection.RemoteIpAddress?.ToString() ?? "-");
            await AwsErrorWriter.WriteAsync(context, operation, AwsErrorWriter.ForAuth(operation.Protocol, problem));
            return;
        }

        if (identity.SigningService != operation.Service)
        {
            await AwsErrorWriter.WriteAsync(context, operation, AwsErrorWriter.ForAuth(operation.Protocol,
                new AuthProblem(AuthFailure.SignatureMismatch, $"Credential should be scoped to correct service: '{operation.Service}'. ")));
            return;
        }

        if (operation.Internal != (identity.Kind == PrincipalKind.Service))
        {
            await AwsErrorWriter.WriteAsync(context, operation,
                new AwsError(403, "AccessDeniedException", $"User: {identity.Arn} is not authorized to perform this operation."));
            return;
        }

        if (unknown is not null)
        {
            await AwsErrorWriter.WriteAsync(context, operation, unknown);
            return;
        }

        call.Caller = identity;
        context.Features.Set(call);
        if (auditRecorder.Records(operation))
        {
            call.Audit = auditRecorder.Begin();
            call.Audited = true;
            AuditContext.Current = new AuditCallInfo(call.Audit.EventId, operation.Name);
            context.Response.OnStarting(CommitOnStartAsync, call);
        }

        try
        {
            await next(context);
        }
        catch (Exception) when (call.Audited && call.Audit.Commit is null && !context.Response.HasStarted)
        {
            call.Result = AuditRecorder.Failed(operation);
            await auditRecorder.CommitAsync(call);
            throw;
        }
    }

    /// <summary>Responses that start without an <see cref="ApiResult"/> (event streams) are recorded here, before their headers leave.</summary>
    private static async Task CommitOnStartAsync(object state)
    {
        var call = (ApiCall)state;
        if (!await call.Service<AuditRecorder>().CommitAsync(call) && !call.Audit.FailureAnswered)
        {
            throw new InvalidOperationException($"The audit record of {call.Operation.Name} ({call.RequestId}) could not be written; the response is withheld.");
        }
    }

    /// <summary>
    /// The Runtime API listener (plain HTTP, all interfaces) also carries the API for sandboxes, which reach it on
    /// their own address; anyone else must use the API listener, which may be TLS.
    /// </summary>
    private bool ThroughRuntimeApiFromOutside(HttpContext context)
    {
        var local = context.Connection.LocalIpAddress;
        return context.Connection.LocalPort == runtimeApi.Port && local is not null
               && !System.Net.IPAddress.IsLoopback(local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local)
               && runtimeApi.Find(context) is null;
    }

    private static async Task RefuseTooLargeAsync(HttpContext context, ApiOperation operation, bool drain)
    {
        if (drain && !await DrainAsync(context))
        {
            return;
        }

        await AwsErrorWriter.WriteAsync(context, operation, TooLarge(operation));
    }

    /// <summary>Reads and discards the rest of the body, up to <see cref="MaxDrainBytes"/>; false if the client went away.</summary>
    private static async Task<bool> DrainAsync(HttpContext context)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long total = 0;
            int read;
            while (total < MaxDrainBytes && (read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                total += read;
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static AwsError TooLarge(ApiOperation operation) =>
        LambdaErrors.RequestTooLarge($"Request must be smaller than {operation.MaxBodyBytes} bytes for the {operation.LimitName ?? operation.Name} operation");

    /// <summary>Reads the whole body, or returns null once it passes <paramref name="limit"/> (chunked bodies have no length).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContext context, long limit)
    {
        var request = context.Request;
        if (request.ContentLength is { } declared)
        {
            var exact = new byte[declared];
            await request.Body.ReadExactlyAsync(exact, context.RequestAborted);
            return exact;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            using var collected = new MemoryStream();
            int read;
            while ((read = await request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                if (collected.Length + read > limit)
                {
                    return null;
                }

                collected.Write(buffer, 0, read);
            }

            return collected.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static partial class Log
    {
        // 1000-1099: front door. Never reuse a retired id.
        [LoggerMessage(1000, LogLevel.Information, "Authentication failed for {Operation}: {Failure} from {RemoteIp}")]
        public static partial void AuthenticationFailed(ILogger logger, string operation, AuthFailure failure, string remoteIp);
    }
}
