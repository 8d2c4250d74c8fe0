using System.Text.Json.Nodes;
using Lamina.Core.Api.Lambda;
using Lamina.Core.Crypto;
using Lamina.Core.Errors;
using Lamina.Core.Functions;
using Lamina.Core.Storage;

namespace Lamina.Core.Async;

/// <summary>
/// Accepting asynchronous invocations (Invoke with InvocationType Event, InvokeAsync) and the
/// event-invoke-config APIs. An accepted event is committed to the store before the 202 goes out.
/// </summary>
internal sealed class AsyncInvokeService(IStore store, FunctionService functions, Envelope envelope, ControlPlaneOptions options, TimeProvider time)
{
    /// <summary>Raised after an event is committed, to wake the pollers at once.</summary>
    public event Action? Enqueued;

    public async Task<Outcome<string>> EnqueueAsync(FunctionTarget target, ReadOnlyMemory<byte> payload, string? clientContext,
        CancellationToken cancellationToken)
    {
        if (payload.Length > AsyncOptions.MaxPayload)
        {
            return LambdaErrors.RequestTooLarge($"Request must be smaller than {AsyncOptions.MaxPayload} bytes for the InvokeFunction operation");
        }

        var resolved = await functions.ResolveAsync(target, cancellationToken);
        if (!resolved.IsSuccess)
        {
            return resolved.Error;
        }

        if (!payload.IsEmpty && JsonParses(payload.Span) is false)
        {
            return LambdaErrors.InvalidRequestContent("Could not parse request body into json: Could not parse payload into json");
        }

        var id = Guid.NewGuid().ToString();
        var now = time.GetUtcNow();
        await store.Queue.EnqueueAsync(new AsyncEvent
        {
            Id = id,
            Kind = AsyncEventKind.Invoke,
            AccountId = target.AccountId,
            FunctionName = target.Name,
            Qualifier = target.Qualifier,
            SealedPayload = envelope.Seal(payload.IsEmpty ? "{}"u8 : payload.Span, AsyncEvent.PayloadContext(target.AccountId, id)),
            EnqueuedAt = now,
            VisibleAt = now,
            ClientContext = clientContext,
        }, cancellationToken);
        Enqueued?.Invoke();
        return id;
    }

    /// <summary>Wakes the pollers after events were committed by other means (durable state changes).</summary>
    public void NotifyEnqueued() => Enqueued?.Invoke();

    /// <summary>Queues a durable execution's next invocation (or any internal invocation) under a chosen id.</summary>
    public async Task EnqueueInternalAsync(AsyncEvent @event, CancellationToken cancellationToken)
    {
        await store.Queue.EnqueueAsync(@event, cancellationToken);
        Enqueued?.Invoke();
    }

    private static bool JsonParses(ReadOnlySpan<byte> payload)
    {
        try
        {
            var reader = new System.Text.Json.Utf8JsonReader(payload);
            while (reader.Read())
            {
            }

            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    // ---- Event invoke configs ----

    /// <summary>The qualifier a config is stored under: $LATEST for the unqualified function.</summary>
    private static string Key(FunctionTarget target) => target.Qualifier ?? FunctionVersions.Latest;

    private string ConfigArn(FunctionTarget target) => Arns.Function(options.Region, target.AccountId, target.Name, Key(target));

    public async Task<Outcome<FunctionEventInvokeConfig>> PutConfigAsync(FunctionTarget target, EventInvokeConfigRequest request, bool merge,
        CancellationToken cancellationToken)
    {
        var v = new Violations();
        v.Range(request.MaximumRetryAttempts, "maximumRetryAttempts", 0, 2);
        v.Range(request.MaximumEventAgeInSeconds, "maximumEventAgeInSeconds", 60, 21600);
        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        if (await functions.ResolveAsync(target, cancellationToken) is { IsSuccess: false })
        {
            return LambdaErrors.ResourceNotFound("The function doesn't exist.");
        }

        var current = merge ? await store.Functions.GetEventInvokeConfigAsync(target.AccountId, target.Name, Key(target), cancellationToken) : null;
        if (merge && current is null)
        {
            return LambdaErrors.ResourceNotFound($"The function {ConfigArn(target)} doesn't have an EventInvokeConfig");
        }

        var destinations = request.DestinationConfig ?? current?.DestinationConfig;
        if (merge && request.DestinationConfig is { } partial)
        {
            destinations = new DestinationConfig
            {
                OnSuccess = partial.OnSuccess ?? current?.DestinationConfig?.OnSuccess,
                OnFailure = partial.OnFailure ?? current?.DestinationConfig?.OnFailure,
            };
        }

        var config = new FunctionEventInvokeConfig
        {
            FunctionArn = ConfigArn(target),
            LastModified = Math.Round(time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0, 3),
            MaximumRetryAttempts = request.MaximumRetryAttempts ?? current?.MaximumRetryAttempts,
            MaximumEventAgeInSeconds = request.MaximumEventAgeInSeconds ?? current?.MaximumEventAgeInSeconds,
            DestinationConfig = Normalize(destinations),
        };
        if (config.MaximumRetryAttempts is null && config.MaximumEventAgeInSeconds is null &&
            config.DestinationConfig?.OnSuccess?.Destination is null && config.DestinationConfig?.OnFailure?.Destination is null)
        {
            return LambdaErrors.InvalidParameter("You must specify at least one of error handling or destination setting.");
        }

        foreach (var destination in new[] { config.DestinationConfig?.OnSuccess?.Destination, config.DestinationConfig?.OnFailure?.Destination })
        {
            if (destination is not null && await CheckDestinationAsync(target, destination, cancellationToken) is { } destinationError)
            {
                return destinationError;
            }
        }

        var status = await store.Functions.PutEventInvokeConfigAsync(target.AccountId, target.Name, Key(target), config, cancellationToken);
        return status == WriteStatus.Ok ? config : LambdaErrors.ResourceNotFound("The function doesn't exist.");
    }

    private static DestinationConfig Normalize(DestinationConfig? config) => new()
    {
        OnSuccess = new DestinationTarget { Destination = config?.OnSuccess?.Destination },
        OnFailure = new DestinationTarget { Destination = config?.OnFailure?.Destination },
    };

    /// <summary>Destinations are Lamina functions; other AWS targets are refused until Lamina hosts them.</summary>
    public async Task<AwsError?> CheckDestinationAsync(FunctionTarget source, string destination, CancellationToken cancellationToken)
    {
        var parts = destination.Split(':');
        if (parts.Length < 6 || parts[0] != "arn")
        {
            return LambdaErrors.InvalidParameter($"The destination ARN {destination} is invalid.");
        }

        if (parts[2] is "sqs" or "sns" or "events" or "s3")
        {
            return LambdaErrors.InvalidParameter(
                $"The destination ARN {destination} is invalid: Lamina delivers to Lambda functions only; {parts[2].ToUpperInvariant()} targets are not available.");
        }

        if (parts[2] != "lambda" || parts[5] != "function")
        {
            return LambdaErrors.InvalidParameter($"The destination ARN {destination} is invalid.");
        }

        var parsed = FunctionTarget.Parse(destination, null, source.AccountId, options.Region);
        if (!parsed.TryGetValue(out var target, out _) || await functions.ResolveAsync(target, cancellationToken) is { IsSuccess: false })
        {
            return LambdaErrors.InvalidParameter($"The destination ARN {destination} is invalid.");
        }

        if (target.AccountId == source.AccountId && target.Name == source.Name)
        {
            return LambdaErrors.InvalidParameter("You can't specify the function as a destination for itself.");
        }

        return null;
    }

    public async Task<Outcome<FunctionEventInvokeConfig>> GetConfigAsync(FunctionTarget target, CancellationToken cancellationToken)
    {
        var config = await store.Functions.GetEventInvokeConfigAsync(target.AccountId, target.Name, Key(target), cancellationToken);
        return config is null ? LambdaErrors.ResourceNotFound($"The function {ConfigArn(target)} doesn't have an EventInvokeConfig") : config;
    }

    public async Task<AwsError?> DeleteConfigAsync(FunctionTarget target, CancellationToken cancellationToken)
    {
        var status = await store.Functions.DeleteEventInvokeConfigAsync(target.AccountId, target.Name, Key(target), cancellationToken);
        return status == WriteStatus.Ok ? null : LambdaErrors.ResourceNotFound($"The function {ConfigArn(target)} doesn't have an EventInvokeConfig");
    }

    public async Task<Outcome<ListFunctionEventInvokeConfigsResponse>> ListConfigsAsync(FunctionTarget target, CancellationToken cancellationToken)
    {
        if (await store.Functions.GetFunctionAsync(target.AccountId, target.Name, cancellationToken) is null)
        {
            return LambdaErrors.FunctionNotFound(target.UnqualifiedArn(options.Region));
        }

        var configs = await store.Functions.ListEventInvokeConfigsAsync(target.AccountId, target.Name, cancellationToken);
        return new ListFunctionEventInvokeConfigsResponse { FunctionEventInvokeConfigs = configs.Select(c => c.Config).ToList() };
    }

    /// <summary>The JSON of a payload for a destination record: parsed when it is JSON, else a string.</summary>
    public static JsonNode? AsJson(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return JsonNode.Parse(bytes);
        }
        catch (System.Text.Json.JsonException)
        {
            return JsonValue.Create(System.Text.Encoding.UTF8.GetString(bytes));
        }
    }
}
