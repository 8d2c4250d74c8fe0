using Lamina.Core.Audit;
using Lamina.Core.Errors;
using Lamina.Core.Functions;
using Lamina.Core.Storage;

namespace Lamina.Http;

/// <summary>
/// Writes each API call's audit record before its response leaves (ARCHITECTURE.md invariants 1 and 3).
/// </summary>
/// <remarks>
/// The front door opens an <see cref="AuditScope"/> once the caller is authenticated. The record is committed
/// (1) when the handler's <see cref="ApiResult"/> is written, before its first byte, or (2) from the response's
/// OnStarting callback for responses that start otherwise (InvokeWithResponseStream's event stream), or
/// (3) by the front door when a handler throws. The first of these builds the record and appends it through the
/// store's group commit; the others wait for the same write. If it cannot be made durable the caller gets a
/// 500 instead of the answer (the call may still have taken effect, which the error says).
/// </remarks>
internal sealed partial class AuditRecorder(IStore store, AuditOptions options, ControlPlaneOptions controlPlane, TimeProvider time,
    ILogger<AuditRecorder> logger)
{
    public bool Records(ApiOperation operation) => options.Enabled && operation.Audit != AuditCategory.None;

    public AuditScope Begin() => new(time.GetUtcNow());

    /// <summary>Writes the call's record once; true when it is durable (or the call is not recorded).</summary>
    public Task<bool> CommitAsync(ApiCall call)
    {
        if (!call.Audited)
        {
            return Task.FromResult(true);
        }

        return call.Audit.Commit ??= WriteAsync(call);
    }

    private async Task<bool> WriteAsync(ApiCall call)
    {
        try
        {
            var events = AuditRecordBuilder.Build(call, controlPlane.Region);
            await store.Audit.AppendAsync(events, CancellationToken.None);
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.AuditWriteFailed(logger, call.Operation.Service, call.Operation.Name, call.RequestId, ex);
            return false;
        }
    }

    /// <summary>What the caller gets when its call's record could not be written, in the service's own words for a 500.</summary>
    public static AwsError Unrecorded(ApiOperation operation) => ServerError(operation,
        "The audit record of this request could not be written, so its result is withheld; the request may have taken effect.");

    /// <summary>What a call whose handler threw is recorded as.</summary>
    public static ApiResult Failed(ApiOperation operation) => ServerError(operation, "Internal error.");

    private static AwsError ServerError(ApiOperation operation, string message) => new(500,
        operation.Protocol switch
        {
            ApiProtocol.Query => "ServiceFailure",
            ApiProtocol.Json11 => "InternalFailure",
            _ => "ServiceException",
        },
        message);

    private static partial class Log
    {
        // 2600-2699: audit trail. Never reuse a retired id.
        [LoggerMessage(2600, LogLevel.Error, "Could not write the audit record of {Service}:{Operation} ({RequestId})")]
        public static partial void AuditWriteFailed(ILogger logger, string service, string operation, string requestId, Exception exception);
    }
}
