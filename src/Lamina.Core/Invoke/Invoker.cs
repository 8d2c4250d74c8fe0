using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lamina.Core.Errors;
using Lamina.Core.Functions;
using Lamina.Core.Storage;

namespace Lamina.Core.Invoke;

/// <summary>What the Invoke API asks for.</summary>
internal sealed record InvokeCommand
{
    public required FunctionTarget Target { get; init; }

    public required ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary><c>RequestResponse</c> or <c>DryRun</c> (<c>Event</c> goes to the async queue).</summary>
    public string InvocationType { get; init; } = "RequestResponse";

    public bool TailLog { get; init; }

    /// <summary>The raw <c>X-Amz-Client-Context</c> header (base64 JSON).</summary>
    public string? ClientContextBase64 { get; init; }

    public IResponseStreamSink? Stream { get; init; }

    /// <summary>Given when the caller already chose one (async events keep theirs across retries).</summary>
    public string? RequestId { get; init; }

    /// <summary>
    /// <see cref="Target"/> already resolved by the caller (the Invoke API resolves it once to tell durable functions
    /// apart), so the invoke does not read the same rows again; null resolves here.
    /// </summary>
    public (FunctionVersionRecord Version, AliasRecord? Alias)? Resolved { get; init; }
}

/// <summary>What the Invoke API answers.</summary>
internal sealed record InvokeResponse(int StatusCode, string RequestId, string ExecutedVersion, InvocationResult? Result, byte[]? LogTail);

/// <summary>
/// The synchronous invoke path.
/// </summary>
/// <remarks>
/// (1) Resolve name and qualifier to one immutable version; a weighted alias picks its version at random.
/// (2) DryRun stops here (the caller was authorized by the front door).
/// (3) Admit against the concurrency ledger or answer 429 <c>TooManyRequestsException</c> with its Reason.
/// (4) Take an idle environment of that version, or cold-start one (open its variables, sandbox, Init); variables
///     that do not open (the function's KMS key disabled, deleted, refused) fail the invoke with Lambda's 502 error.
/// (5) Deliver the event through the Runtime API and wait for the result, the timeout or a crash.
/// (6) Give the environment back (a reset or failed one is discarded) and release the slot.
/// </remarks>
internal sealed class Invoker(
    FunctionService functions,
    IStore store,
    ConcurrencyLedger ledger,
    EnvironmentManager environments,
    ControlPlaneOptions options,
    TimeProvider time)
{
    /// <summary>AWS: "Request must be smaller than 6291456 bytes for the InvokeFunction operation".</summary>
    public const int MaxSyncPayload = 6_291_456;

    /// <summary>Lambda caps the decoded client context at 3,583 bytes.</summary>
    public const int MaxClientContextBytes = 3583;

    public async Task<Outcome<InvokeResponse>> InvokeAsync(InvokeCommand command, CancellationToken cancellationToken)
    {
        // (1)
        Outcome<(FunctionVersionRecord Version, AliasRecord? Alias)> resolved =
            command.Resolved is { } given ? given : await functions.ResolveAsync(command.Target, cancellationToken);
        if (!resolved.TryGetValue(out var found, out var error))
        {
            return error;
        }

        var version = found.Version;
        if (found.Alias?.Config.RoutingConfig?.AdditionalVersionWeights is { Count: > 0 } weights)
        {
            version = await PickWeightedAsync(command.Target, version, weights, cancellationToken) ?? version;
        }

        var payloadError = ValidatePayload(command.Payload.Span);
        if (payloadError is not null)
        {
            return payloadError;
        }

        string? clientContext = null;
        if (!string.IsNullOrEmpty(command.ClientContextBase64))
        {
            var decoded = DecodeClientContext(command.ClientContextBase64);
            if (!decoded.IsSuccess)
            {
                return decoded.Error;
            }

            clientContext = decoded.Value;
        }

        var requestId = command.RequestId ?? Guid.NewGuid().ToString();

        // (2)
        if (command.InvocationType == "DryRun")
        {
            return new InvokeResponse(204, requestId, version.Version, null, null);
        }

        // (3)
        if (await store.Functions.GetConcurrencyAsync(command.Target.AccountId, command.Target.Name, cancellationToken) is not { } concurrency)
        {
            return LambdaErrors.FunctionNotFound(command.Target.Arn(options.Region));
        }

        var unreserved = options.AccountConcurrencyLimit - concurrency.AccountReserved;
        using var lease = ledger.TryAcquire(command.Target.AccountId, command.Target.Name, concurrency.Reserved, unreserved, out var reason);
        if (lease is null)
        {
            return LambdaErrors.TooManyRequests(reason!);
        }

        // (4)
        command.Stream?.Resolved(version.Version);
        var spec = SpecFor(version);
        var pool = environments.PoolFor(spec.Key);
        var invocation = new Invocation
        {
            RequestId = requestId,
            Payload = command.Payload.Length == 0 ? "{}"u8.ToArray() : command.Payload,
            InvokedFunctionArn = command.Target.Arn(options.Region),
            ClientContext = clientContext,
            TraceId = NewTraceId(),
            Stream = command.Stream,
        };
        var (environment, initError, acquireError) = await pool.AcquireAsync(spec, CancellationToken.None);
        if (acquireError is not null)
        {
            return acquireError;
        }

        InvocationResult result;
        if (environment is null)
        {
            result = initError!;
        }
        else
        {
            // (5) The invocation runs to its end even if the caller goes away, as in AWS.
            try
            {
                result = await environment.InvokeAsync(invocation, CancellationToken.None);
            }
            finally
            {
                // (6)
                pool.Release(environment);
            }
        }

        return new InvokeResponse(200, requestId, version.Version, result, command.TailLog ? invocation.LogTail() : null);
    }

    public EnvironmentSpec SpecFor(FunctionVersionRecord version) => new()
    {
        Key = new VersionKey(version.AccountId, version.FunctionName, version.Version, version.RevisionId),
        Config = version.Config,
        FunctionArn = Arns.Function(options.Region, version.AccountId, version.FunctionName),
        CodeBlobId = version.CodeBlobId,
        LayerBlobIds = version.LayerBlobIds,
        Region = options.Region,
        SealedEnvironment = version.SealedEnvironment,
    };

    private async Task<FunctionVersionRecord?> PickWeightedAsync(FunctionTarget target, FunctionVersionRecord primary,
        Dictionary<string, double> weights, CancellationToken cancellationToken)
    {
        var roll = Random.Shared.NextDouble();
        var cumulative = 0.0;
        foreach (var (version, weight) in weights)
        {
            cumulative += weight;
            if (roll < cumulative)
            {
                return await store.Functions.GetVersionAsync(target.AccountId, target.Name, version, cancellationToken) ?? primary;
            }
        }

        return primary;
    }

    /// <summary>Lambda accepts only JSON payloads (empty means <c>{}</c>).</summary>
    private static AwsError? ValidatePayload(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(payload, new JsonReaderOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
            while (reader.Read())
            {
            }

            return null;
        }
        catch (JsonException ex)
        {
            return LambdaErrors.InvalidRequestContent(
                $"Could not parse request body into json: Could not parse payload into json: {ex.Message}");
        }
    }

    private static Outcome<string> DecodeClientContext(string base64)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            return LambdaErrors.InvalidParameter("Client context must be a valid Base64-encoded JSON object.");
        }

        if (bytes.Length > MaxClientContextBytes)
        {
            return LambdaErrors.InvalidParameter($"Client context must be at most {MaxClientContextBytes} bytes after Base64 decoding.");
        }

        if (ValidatePayload(bytes) is not null)
        {
            return LambdaErrors.InvalidParameter("Client context must be a valid Base64-encoded JSON object.");
        }

        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>An X-Ray trace header: <c>Root=1-{epoch hex}-{96-bit id};Parent={64-bit id};Sampled=0</c>.</summary>
    private string NewTraceId()
    {
        var epoch = time.GetUtcNow().ToUnixTimeSeconds().ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
        return $"Root=1-{epoch}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))};Parent={Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))};Sampled=0";
    }
}
