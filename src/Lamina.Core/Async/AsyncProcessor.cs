using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lamina.Core.Accounts;
using Lamina.Core.Api.Lambda;
using Lamina.Core.Auth;
using Lamina.Core.Crypto;
using Lamina.Core.Functions;
using Lamina.Core.Invoke;
using Lamina.Core.Storage;

namespace Lamina.Core.Async;

/// <summary>What happened to one claimed event.</summary>
internal enum AsyncOutcome
{
    Succeeded,
    RetryScheduled,
    Throttled,
    FailedToDestination,
    Dropped,
}

/// <summary>
/// Runs one claimed event through the same invoke path as synchronous calls, and applies AWS's async
/// rules to the result.
/// </summary>
/// <remarks>
/// (1) Past MaximumEventAgeInSeconds (default 6 h) the event fails with condition EventAgeExceeded.
/// (2) Reserved concurrency 0 fails it at once (ZeroReservedConcurrency).
/// (3) A throttle or platform error backs off 1 s, 2 s, 4 s ... up to 5 min and retries until the age limit.
/// (4) A function error is retried MaximumRetryAttempts times (default 2), after 1 and then 2 minutes.
/// (5) Success goes to the OnSuccess destination; exhausted retries or age go to OnFailure and the DLQ.
/// Every delay is divided by the server's time scale. Delivery is at least once: a crash between the
/// invocation and the queue update runs the event again.
/// </remarks>
internal sealed class AsyncProcessor(
    IStore store,
    Invoker invoker,
    AsyncInvokeService service,
    IAuthorizer authorizer,
    Envelope envelope,
    AsyncOptions options,
    ControlPlaneOptions controlPlane,
    Durable.DurableEngine durable,
    TimeProvider time)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    public async Task<AsyncOutcome> ProcessAsync(AsyncEvent e, string node, CancellationToken cancellationToken)
    {
        if (e.Kind != AsyncEventKind.Invoke)
        {
            // Durable executions' wake-ups, timers and chained invokes share this queue and its pollers.
            await durable.ProcessAsync(e, node, cancellationToken);
            return AsyncOutcome.Succeeded;
        }

        var payload = envelope.Open(e.SealedPayload, AsyncEvent.PayloadContext(e.AccountId, e.Id));
        var target = new FunctionTarget(e.AccountId, e.FunctionName, e.Qualifier);
        var function = await store.Functions.GetFunctionAsync(e.AccountId, e.FunctionName, cancellationToken);
        if (function is null)
        {
            await store.Queue.CompleteAsync(e.Id, node, cancellationToken);
            return AsyncOutcome.Dropped;
        }

        var config = await store.Functions.GetEventInvokeConfigAsync(e.AccountId, e.FunctionName, e.Qualifier ?? FunctionVersions.Latest, cancellationToken);
        var maxAge = TimeSpan.FromSeconds(config?.MaximumEventAgeInSeconds ?? AsyncOptions.DefaultMaximumEventAgeSeconds);
        var maxRetries = config?.MaximumRetryAttempts ?? AsyncOptions.DefaultMaximumRetryAttempts;
        var now = time.GetUtcNow();

        // (1)
        if (now - e.EnqueuedAt > options.Scaled(maxAge))
        {
            return await FailAsync(e, node, target, payload, config, function, "EventAgeExceeded", null, cancellationToken);
        }

        // (2)
        if (function.ReservedConcurrency == 0)
        {
            return await FailAsync(e, node, target, payload, config, function, "ZeroReservedConcurrency", null, cancellationToken);
        }

        var outcome = await invoker.InvokeAsync(new InvokeCommand
        {
            Target = target,
            Payload = payload,
            RequestId = e.Id,
            ClientContextBase64 = e.ClientContext,
        }, cancellationToken);

        // Retry delays count from the end of the failed attempt, not from when it was picked up.
        var finished = time.GetUtcNow();
        if (!outcome.TryGetValue(out var response, out var error))
        {
            if (error.StatusCode == 404)
            {
                await store.Queue.CompleteAsync(e.Id, node, cancellationToken);
                return AsyncOutcome.Dropped;
            }

            // (3) Throttled or a platform failure: back off, keep trying until the age limit.
            var backoff = TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, e.ThrottleAttempts)));
            await store.Queue.RescheduleAsync(e.Id, node, finished + options.Scaled(backoff), e.Attempts, e.ThrottleAttempts + 1, cancellationToken);
            return AsyncOutcome.Throttled;
        }

        var result = response.Result!;
        if (!result.IsError)
        {
            // (5)
            await DeliverAsync(e, target, config?.DestinationConfig?.OnSuccess?.Destination, function, Record(e, target, payload, "Success", response),
                cancellationToken);
            await store.Queue.CompleteAsync(e.Id, node, cancellationToken);
            return AsyncOutcome.Succeeded;
        }

        // (4)
        var attempts = e.Attempts + 1;
        if (attempts <= maxRetries)
        {
            var wait = TimeSpan.FromMinutes(attempts);
            await store.Queue.RescheduleAsync(e.Id, node, finished + options.Scaled(wait), attempts, e.ThrottleAttempts, cancellationToken);
            return AsyncOutcome.RetryScheduled;
        }

        return await FailAsync(e with { Attempts = attempts }, node, target, payload, config, function, "RetriesExhausted", response, cancellationToken);
    }

    private async Task<AsyncOutcome> FailAsync(AsyncEvent e, string node, FunctionTarget target, byte[] payload, FunctionEventInvokeConfig? config,
        FunctionRecord function, string condition, InvokeResponse? response, CancellationToken cancellationToken)
    {
        var onFailure = config?.DestinationConfig?.OnFailure?.Destination;
        await DeliverAsync(e, target, onFailure, function, Record(e, target, payload, condition, response), cancellationToken);

        // The dead-letter target receives the original event, as an SQS DLQ does.
        var latest = await store.Functions.GetVersionAsync(e.AccountId, e.FunctionName, FunctionVersions.Latest, cancellationToken);
        if (latest?.Config.DeadLetterConfig?.TargetArn is { Length: > 0 } dlq)
        {
            await DeliverAsync(e, target, dlq, function, payload, cancellationToken);
        }

        await store.Queue.CompleteAsync(e.Id, node, cancellationToken);
        return onFailure is null && latest?.Config.DeadLetterConfig?.TargetArn is null ? AsyncOutcome.Dropped : AsyncOutcome.FailedToDestination;
    }

    /// <summary>
    /// Queues <paramref name="body"/> for a destination function, if the source function's execution role may
    /// invoke it (AWS requires that permission of the role).
    /// </summary>
    private async Task DeliverAsync(AsyncEvent e, FunctionTarget source, string? destination, FunctionRecord function, byte[] body,
        CancellationToken cancellationToken)
    {
        if (destination is null)
        {
            return;
        }

        var parsed = FunctionTarget.Parse(destination, null, source.AccountId, controlPlane.Region);
        if (!parsed.TryGetValue(out var target, out _))
        {
            return;
        }

        var latest = await store.Functions.GetVersionAsync(function.AccountId, function.Name, FunctionVersions.Latest, cancellationToken);
        var role = latest?.Config.Role ?? "";
        var roleSession = new CallerIdentity(function.AccountId, $"arn:aws:sts::{function.AccountId}:assumed-role/{role[(role.LastIndexOf('/') + 1)..]}/{function.Name}",
            function.Name, PrincipalKind.AssumedRole, "destination")
        {
            SessionData = JsonSerializer.Serialize(new SessionInfo(role, function.Name), SessionJson.Default.SessionInfo),
        };
        var policy = await store.Iam.GetFunctionPolicyAsync(target.AccountId, target.Name, target.Qualifier ?? "", cancellationToken);
        var denied = await authorizer.AuthorizeAsync(roleSession, new AuthorizationRequest("lambda:InvokeFunction", target.Arn(controlPlane.Region), target.AccountId)
        {
            ResourcePolicy = policy is not null && Iam.PolicyDocument.TryParse(policy.Document, out var doc, out _) ? doc : null,
        }, cancellationToken);
        if (denied is not null)
        {
            return;
        }

        var id = Guid.NewGuid().ToString();
        var now = time.GetUtcNow();
        await service.EnqueueInternalAsync(new AsyncEvent
        {
            Id = id,
            Kind = AsyncEventKind.Invoke,
            AccountId = target.AccountId,
            FunctionName = target.Name,
            Qualifier = target.Qualifier,
            SealedPayload = envelope.Seal(body, AsyncEvent.PayloadContext(target.AccountId, id)),
            EnqueuedAt = now,
            VisibleAt = now,
        }, cancellationToken);
    }

    /// <summary>The invocation record AWS sends to destinations.</summary>
    private byte[] Record(AsyncEvent e, FunctionTarget target, byte[] payload, string condition, InvokeResponse? response)
    {
        var record = new JsonObject
        {
            ["version"] = "1.0",
            ["timestamp"] = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["requestContext"] = new JsonObject
            {
                ["requestId"] = e.Id,
                ["functionArn"] = Arns.Function(controlPlane.Region, target.AccountId, target.Name, target.Qualifier ?? FunctionVersions.Latest),
                ["condition"] = condition,
                ["approximateInvokeCount"] = Math.Max(1, e.Attempts + (condition == "Success" ? 1 : 0)),
            },
            ["requestPayload"] = AsyncInvokeService.AsJson(payload),
        };
        if (response?.Result is { } result)
        {
            var responseContext = new JsonObject
            {
                ["statusCode"] = 200,
                ["executedVersion"] = response.ExecutedVersion,
            };
            if (result.IsError)
            {
                responseContext["functionError"] = "Unhandled";
            }

            record["responseContext"] = responseContext;
            record["responsePayload"] = result.Payload.Length == 0 ? null : AsyncInvokeService.AsJson(result.Payload);
        }

        return JsonSerializer.SerializeToUtf8Bytes(record);
    }
}
