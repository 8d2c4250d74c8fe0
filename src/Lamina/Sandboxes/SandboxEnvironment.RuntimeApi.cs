using Lamina.Core.Invoke;

namespace Lamina.Sandboxes;

/// <summary>What a Runtime API call answers: status, and for errors RIE's error type and message.</summary>
internal readonly record struct RuntimeApiReply(int Status, string? ErrorType = null, string? Message = null)
{
    public static readonly RuntimeApiReply Accepted = new(202);

    public static RuntimeApiReply InvalidRequestId => new(400, "InvalidRequestID", "Invalid request ID");

    public static RuntimeApiReply InvalidState(string from, string to) =>
        new(403, "InvalidStateTransition", $"State transition from {from} to {to} failed for runtime. Error: State transition is not allowed");

    public static RuntimeApiReply TooLarge => new(413, "RequestEntityTooLarge", $"Exceeded maximum allowed payload size ({SandboxEnvironment.MaxResponseBytes} bytes).");
}

internal sealed partial class SandboxEnvironment
{
    /// <summary>
    /// <c>GET /runtime/invocation/next</c>: the runtime is ready for work. The first call ends its Init;
    /// later ones wait (long poll) until an invocation is delivered. Null means the environment is going
    /// away and the runtime should exit.
    /// </summary>
    public async Task<(Invocation? Invocation, RuntimeApiReply Refusal)> NextAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource<Invocation?> waiter;
        lock (_lock)
        {
            if (_phase == Phase.Initializing && !_runtimeCalledNext)
            {
                _runtimeCalledNext = true;
                TryCompleteInit();
            }

            if (_current is { } current && !current.IsCompleted)
            {
                if (_delivered)
                {
                    return (null, RuntimeApiReply.InvalidState("InvocationNext", "InvocationNext"));
                }

                _delivered = true;
                return (current, default);
            }

            _nextWaiter?.TrySetResult(null);
            waiter = _nextWaiter = new TaskCompletionSource<Invocation?>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        using var registration = cancellationToken.Register(() =>
        {
            lock (_lock)
            {
                if (_nextWaiter == waiter)
                {
                    _nextWaiter = null;
                }
            }

            waiter.TrySetResult(null);
        });
        return (await waiter.Task, default);
    }

    private (Invocation? Current, RuntimeApiReply Refusal) CurrentFor(string requestId, string target)
    {
        lock (_lock)
        {
            if (_current is null || _current.RequestId != requestId)
            {
                return (null, RuntimeApiReply.InvalidRequestId);
            }

            if (!_delivered || _current.IsCompleted)
            {
                return (null, RuntimeApiReply.InvalidState(_current.IsCompleted ? "InvocationResponse" : "InvocationNext", target));
            }

            return (_current, default);
        }
    }

    /// <summary>Whether <paramref name="requestId"/> is the invocation in progress (checked before a body is read).</summary>
    public RuntimeApiReply CheckCurrent(string requestId, string target) => CurrentFor(requestId, target).Refusal;

    /// <summary>Streaming responses write to this invocation as they arrive.</summary>
    public Invocation? CurrentInvocation(string requestId) => CurrentFor(requestId, "InvocationResponse").Current;

    /// <summary><c>POST /runtime/invocation/{id}/response</c>.</summary>
    public RuntimeApiReply Respond(string requestId, byte[] payload, string? contentType)
    {
        var (current, refusal) = CurrentFor(requestId, "InvocationResponse");
        if (current is null)
        {
            return refusal;
        }

        if (payload.Length > MaxResponseBytes)
        {
            current.TryComplete(InvocationResult.Error("Function.ResponseSizeTooLarge",
                $"Response payload size exceeded maximum allowed payload size ({MaxResponseBytes} bytes)."));
            return RuntimeApiReply.TooLarge;
        }

        current.TryComplete(new InvocationResult(InvocationStatus.Success, payload)
        {
            ContentType = string.IsNullOrEmpty(contentType) ? "application/json" : contentType,
        });
        return RuntimeApiReply.Accepted;
    }

    /// <summary>Completes a streamed response (the body already went to the caller's stream).</summary>
    public RuntimeApiReply CompleteStream(string requestId, InvocationResult result)
    {
        var (current, refusal) = CurrentFor(requestId, "InvocationResponse");
        if (current is null)
        {
            return refusal;
        }

        current.TryComplete(result);
        return RuntimeApiReply.Accepted;
    }

    /// <summary>
    /// <c>POST /runtime/invocation/{id}/error</c>: the body passes through unchanged as the payload. The
    /// type comes from the header, else from the body's <c>errorType</c> (the Node and Python clients send no header).
    /// </summary>
    public RuntimeApiReply Fail(string requestId, string? errorTypeHeader, byte[] body)
    {
        var (current, refusal) = CurrentFor(requestId, "InvocationErrorResponse");
        if (current is null)
        {
            return refusal;
        }

        var errorType = errorTypeHeader ?? ErrorTypeFromBody(body) ?? "Unhandled";
        current.TryComplete(new InvocationResult(InvocationStatus.FunctionError, body.Length == 0 ? InvocationResult.ErrorJson(errorType, "") : body, errorType));
        return RuntimeApiReply.Accepted;
    }

    /// <summary><c>POST /runtime/init/error</c>: Init failed; the invocation that waited for it returns this body.</summary>
    public RuntimeApiReply FailInit(string? errorTypeHeader, byte[] body)
    {
        lock (_lock)
        {
            if (_phase != Phase.Initializing || _initSignal is null)
            {
                return RuntimeApiReply.InvalidState(_phase.ToString(), "InitError");
            }

            var errorType = errorTypeHeader ?? ErrorTypeFromBody(body) ?? "Runtime.Unknown";
            _initSignal.TrySetResult(new InitSignal(false, errorType, body.Length == 0 ? null : body));
            return RuntimeApiReply.Accepted;
        }
    }

    private static string? ErrorTypeFromBody(byte[] body)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object &&
                   doc.RootElement.TryGetProperty("errorType", out var type) && type.ValueKind == System.Text.Json.JsonValueKind.String
                ? type.GetString()
                : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>Init is done when the runtime and every extension found in /opt/extensions have called next.</summary>
    private void TryCompleteInit()
    {
        if (_runtimeCalledNext && ExtensionsReady())
        {
            _initSignal?.TrySetResult(new InitSignal(true, null, null));
        }
    }
}
