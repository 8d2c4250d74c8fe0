using System.Text.Json;
using System.Text.Json.Nodes;
using Lamina.Core.Async;
using Lamina.Core.Errors;
using Lamina.Core.Functions;
using Lamina.Core.Invoke;

namespace Lamina.Core.Durable;

internal sealed partial class DurableEngine
{
    /// <summary>The replay envelope stays well under the 6 MB invoke limit; the SDK pages in the rest.</summary>
    private const int EnvelopePageBytes = 4 * 1024 * 1024;

    private const int EnvelopePageItems = 1000;

    private sealed record PreparedInvocation(string RequestId, byte[] Envelope);

    /// <summary>Handles one claimed queue event of a durable kind.</summary>
    public async Task ProcessAsync(AsyncEvent e, string node, CancellationToken cancellationToken)
    {
        switch (e.Kind)
        {
            case AsyncEventKind.DurableResume:
                await ResumeAsync(e, node, cancellationToken);
                break;
            case AsyncEventKind.DurableTimer:
                await FireTimerAsync(e, node, cancellationToken);
                break;
            case AsyncEventKind.DurableChainedInvoke:
                await RunChainedInvokeAsync(e, node, cancellationToken);
                break;
            case AsyncEventKind.DurableChildClosed:
                await ChildClosedAsync(e, node, cancellationToken);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(e), e.Kind, "not a durable event");
        }
    }

    /// <summary>
    /// Starts the execution's next invocation: mints its checkpoint token, builds the replay envelope and
    /// invokes the function version through the ordinary invoke path, then applies the result.
    /// </summary>
    private async Task ResumeAsync(AsyncEvent e, string node, CancellationToken cancellationToken)
    {
        var arn = e.ExecutionArn!;
        var gone = false;
        var prepared = await MutateAsync<PreparedInvocation?>(arn, async c =>
        {
            var x = c.Execution;
            var now = Now;
            c.CompleteEvent = (e.Id, node);
            if (x.IsClosed || (x.InvocationEventId is { } running && running != e.Id))
            {
                if (x.InvocationEventId is null)
                {
                    c.Execution = x with { ResumeQueued = false };
                }

                return (PreparedInvocation?)null;
            }

            var failures = x.ConsecutiveFailures;
            if (x.InvocationEventId == e.Id)
            {
                // This event's invocation was running when the server stopped: it ends here as a failed one.
                c.History("InvocationCompleted", null, InvocationDetails(x.InvocationStartedAt ?? now, now, x.InvocationRequestId,
                    ErrorObject("Lamina.InvocationInterrupted", "The invocation did not finish: the Lamina server stopped while it ran.")), now);
                failures++;
            }

            var token = NewToken();
            var requestId = Guid.NewGuid().ToString();
            var operations = await AllOperationsAsync(x, cancellationToken);
            c.CompleteEvent = null;
            c.Execution = x with
            {
                Token = token,
                InvocationEventId = e.Id,
                InvocationRequestId = requestId,
                InvocationStartedAt = now,
                ResumeQueued = false,
                SeenSeq = x.ChangeSeq,
                ConsecutiveFailures = failures,
            };
            return new PreparedInvocation(requestId, BuildEnvelope(x, operations, token));
        }, () =>
        {
            gone = true;
            return (PreparedInvocation?)null;
        }, cancellationToken);

        if (gone)
        {
            await store.Queue.CompleteAsync(e.Id, node, cancellationToken);
            return;
        }

        if (prepared.Value is not { } invocation)
        {
            return;
        }

        // The invocation runs to its end whatever happens to the poller, as a synchronous one does.
        var outcome = await invoker.InvokeAsync(new InvokeCommand
        {
            Target = new FunctionTarget(e.AccountId, e.FunctionName, e.Qualifier),
            Payload = invocation.Envelope,
            RequestId = invocation.RequestId,
        }, CancellationToken.None);
        await FinishInvocationAsync(e, node, outcome, cancellationToken);
    }

    private async Task FinishInvocationAsync(AsyncEvent e, string node, Outcome<InvokeResponse> outcome, CancellationToken cancellationToken)
    {
        await MutateAsync<bool>(e.ExecutionArn!, async c =>
        {
            var x = c.Execution;
            var now = Now;
            c.CompleteEvent = (e.Id, node);
            if (x.InvocationEventId != e.Id)
            {
                return true;
            }

            var started = x.InvocationStartedAt ?? now;
            c.Execution = x with { Token = null, InvocationEventId = null, InvocationRequestId = null, InvocationStartedAt = null };
            if (!outcome.TryGetValue(out var response, out var error))
            {
                if (error.StatusCode == 429)
                {
                    // No capacity: nothing ran, so no history; try again shortly (not a failure).
                    Wake(c, asyncOptions.Scaled(TimeSpan.FromSeconds(1)));
                    return true;
                }

                c.History("InvocationCompleted", null, InvocationDetails(started, now, x.InvocationRequestId, ErrorObject(error.Code, error.Message)), now);
                if (error.StatusCode == 404 && !x.IsClosed)
                {
                    await CloseAsync(c, ExecutionStatus.Failed, null, ErrorObject(error.Code, error.Message), cancellationToken);
                    return true;
                }

                InvocationFailed(c, error.Code);
                return true;
            }

            var result = response.Result!;
            if (result.IsError)
            {
                c.History("InvocationCompleted", null, InvocationDetails(started, now, x.InvocationRequestId, FunctionError(result)), now);
                if (!x.IsClosed)
                {
                    InvocationFailed(c, result.ErrorType ?? "function error");
                }

                return true;
            }

            JsonObject? output = null;
            try
            {
                output = JsonNode.Parse(result.Payload) as JsonObject;
            }
            catch (JsonException)
            {
            }

            var status = output?["Status"] is JsonValue s && s.TryGetValue<string>(out var text) ? text : null;
            if (status is not ("SUCCEEDED" or "FAILED" or "PENDING"))
            {
                var invalid = ErrorObject("Lamina.InvalidDurableOutput",
                    "The function did not return a durable execution result ({\"Status\": \"SUCCEEDED\" | \"FAILED\" | \"PENDING\"}). " +
                    "Wrap the handler with the durable execution SDK (withDurableExecution).");
                c.History("InvocationCompleted", null, InvocationDetails(started, now, x.InvocationRequestId, invalid), now);
                if (!x.IsClosed)
                {
                    await CloseAsync(c, ExecutionStatus.Failed, null, invalid, cancellationToken);
                }

                return true;
            }

            c.History("InvocationCompleted", null, InvocationDetails(started, now, x.InvocationRequestId, null), now);
            if (x.IsClosed)
            {
                return true;
            }

            c.Execution = c.Execution with { ConsecutiveFailures = 0 };
            var pending = x.SealedPendingOutcome is null
                ? null
                : JsonNode.Parse(OpenText(x, "outcome", x.SealedPendingOutcome)!)!.AsObject();
            switch (status)
            {
                case "SUCCEEDED":
                {
                    var value = output!["Result"]?.GetValue<string>();
                    if (string.IsNullOrEmpty(value) && pending?["Result"] is { } checkpointed)
                    {
                        value = checkpointed.GetValue<string>();
                    }

                    await CloseAsync(c, ExecutionStatus.Succeeded, value, null, cancellationToken);
                    break;
                }

                case "FAILED":
                    await CloseAsync(c, ExecutionStatus.Failed, null,
                        output!["Error"] as JsonObject ?? pending?["Error"] as JsonObject ?? ErrorObject("Unknown", "The execution failed."), cancellationToken);
                    break;
                default:
                {
                    var operations = await AllOperationsAsync(x, cancellationToken);
                    if (operations.Any(o => o.ChangeSeq > x.SeenSeq || (o.Type == Op.Step && o.Status == Op.Ready)))
                    {
                        // Something changed that this invocation never saw (a timer or callback while it ran): go again now.
                        Wake(c);
                    }
                    else if (!operations.Any(IsAwaited))
                    {
                        InvocationFailed(c, "PENDING with no pending operations");
                    }

                    break;
                }
            }

            return true;
        }, () => true, cancellationToken);
    }

    /// <summary>Operations that a later trigger will complete: waits, callbacks, chained invokes, steps waiting to retry.</summary>
    private static bool IsAwaited(OperationState o) =>
        (o.Status == Op.Started && o.Type is Op.Wait or Op.Callback or Op.ChainedInvoke) || (o.Type == Op.Step && o.Status == Op.Pending);

    /// <summary>A failed invocation: retried with backoff (1 s doubling to 5 min, divided by the time scale) until the execution times out.</summary>
    private void InvocationFailed(Change c, string reason)
    {
        var failures = c.Execution.ConsecutiveFailures + 1;
        var delay = asyncOptions.Scaled(TimeSpan.FromSeconds(Math.Min(MaxInvocationBackoff.TotalSeconds, Math.Pow(2, Math.Min(failures - 1, 20)))));
        c.Execution = c.Execution with { ConsecutiveFailures = failures };
        Wake(c, delay);
        Log.InvocationFailed(logger, c.Execution.Arn, reason, delay);
    }

    private static JsonObject InvocationDetails(DateTimeOffset started, DateTimeOffset ended, string? requestId, JsonObject? error)
    {
        var details = new JsonObject
        {
            ["StartTimestamp"] = OperationState.Timestamp(started, TimestampStyle.EpochSeconds),
            ["EndTimestamp"] = OperationState.Timestamp(ended, TimestampStyle.EpochSeconds),
            ["RequestId"] = requestId ?? "",
        };
        if (error is not null)
        {
            details["Error"] = EventPayload(error);
        }

        return details;
    }

    /// <summary>A function error's payload (<c>{errorType, errorMessage, stackTrace}</c>) as an ErrorObject.</summary>
    private static JsonObject FunctionError(InvocationResult result)
    {
        try
        {
            if (JsonNode.Parse(result.Payload) is JsonObject o)
            {
                var error = ErrorObject(o["errorType"]?.ToString() ?? result.ErrorType ?? "Unhandled", o["errorMessage"]?.ToString() ?? "");
                if (o["stackTrace"] is JsonArray trace)
                {
                    error["StackTrace"] = new JsonArray(trace.Select(t => (JsonNode?)JsonValue.Create(t?.ToString())).ToArray());
                }

                return error;
            }
        }
        catch (JsonException)
        {
        }

        return ErrorObject(result.ErrorType ?? "Unhandled", System.Text.Encoding.UTF8.GetString(result.Payload));
    }

    /// <summary>Closes the execution with a terminal status, its result or error, and tells a parent execution.</summary>
    private async Task CloseAsync(Change c, string status, string? result, JsonObject? error, CancellationToken cancellationToken)
    {
        var x = c.Execution;
        var now = Now;
        var root = await LoadAsync(c, ExecutionOperationId(x), cancellationToken);
        if (root is not null)
        {
            root.Status = status == ExecutionStatus.TimedOut ? Op.TimedOut : status;
            root.EndedAt = now;
            c.Touch(root);
        }

        var (eventType, details) = status switch
        {
            ExecutionStatus.Succeeded => ("ExecutionSucceeded", new JsonObject { ["Result"] = EventPayload(result) }),
            ExecutionStatus.Failed => ("ExecutionFailed", new JsonObject { ["Error"] = EventPayload(error) }),
            ExecutionStatus.TimedOut => ("ExecutionTimedOut", new JsonObject { ["Error"] = EventPayload(error) }),
            _ => ("ExecutionStopped", new JsonObject { ["Error"] = EventPayload(error ?? []) }),
        };
        c.History(eventType, root, details, now);
        c.Execution = x with
        {
            Status = status,
            EndedAt = now,
            SealedResult = result is null ? null : SealText(x, "result", result),
            SealedError = error is null ? null : SealText(x, "error", error.ToJsonString()),
            SealedPendingOutcome = null,
            Token = null,
            ExpiresAt = now + TimeSpan.FromDays(x.RetentionDays),
        };
        c.Closed = true;
        Log.Closed(logger, x.Arn, status);

        if (x.ParentArn is { } parentArn && Arns.TryParseFunction(parentArn, out var parentAccount, out var parentFunction))
        {
            c.Enqueue.Add(QueueEvent(parentAccount, parentFunction, null, parentArn, AsyncEventKind.DurableChildClosed, now,
                new JsonObject { ["child"] = x.Arn, ["op"] = x.ParentOperationId }));
        }
    }

    /// <summary>The invocation event: the ARN, the token, and the first page of the (pruned) operations, EXECUTION first.</summary>
    private static byte[] BuildEnvelope(DurableExecutionRecord x, List<OperationState> operations, string token)
    {
        var visible = Prune(operations);
        var page = new JsonArray();
        var bytes = 0;
        var count = 0;
        foreach (var op in visible)
        {
            var rendered = op.Render(TimestampStyle.Iso);
            var size = JsonSerializer.SerializeToUtf8Bytes(rendered).Length;
            if (count > 0 && (count >= EnvelopePageItems || bytes + size > EnvelopePageBytes))
            {
                break;
            }

            page.Add(rendered);
            bytes += size;
            count++;
        }

        var state = new JsonObject { ["Operations"] = page };
        if (count < visible.Count)
        {
            state["NextMarker"] = count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return JsonSerializer.SerializeToUtf8Bytes(new JsonObject
        {
            ["DurableExecutionArn"] = x.Arn,
            ["CheckpointToken"] = token,
            ["InitialExecutionState"] = state,
        });
    }

    /// <summary>Leaves out descendants of completed contexts that did not ask to replay their children.</summary>
    private static List<OperationState> Prune(List<OperationState> operations)
    {
        var byId = operations.ToDictionary(o => o.Id, StringComparer.Ordinal);
        var hidden = new Dictionary<string, bool>(StringComparer.Ordinal);

        bool IsHidden(OperationState op)
        {
            if (op.ParentId is null || !byId.TryGetValue(op.ParentId, out var parent))
            {
                return false;
            }

            if (hidden.TryGetValue(op.Id, out var known))
            {
                return known;
            }

            var result = (parent.Type == Op.Context && parent.Status is Op.Succeeded or Op.Failed &&
                          parent.Details["ReplayChildren"]?.GetValue<bool>() != true) || IsHidden(parent);
            hidden[op.Id] = result;
            return result;
        }

        return operations.Where(o => !IsHidden(o)).ToList();
    }
}
