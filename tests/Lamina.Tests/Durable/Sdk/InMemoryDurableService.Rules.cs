using Lamina.Durable;

namespace Lamina.Tests.Durable.Sdk;

public sealed partial class InMemoryDurableService
{
    private static readonly Dictionary<string, string[]> ActionsByType = new()
    {
        [OperationType.Step] = [OperationAction.Start, OperationAction.Succeed, OperationAction.Fail, OperationAction.Retry],
        [OperationType.Context] = [OperationAction.Start, OperationAction.Succeed, OperationAction.Fail],
        [OperationType.Wait] = [OperationAction.Start, OperationAction.Cancel],
        [OperationType.Callback] = [OperationAction.Start, OperationAction.Cancel],
        [OperationType.ChainedInvoke] = [OperationAction.Start, OperationAction.Cancel],
        [OperationType.Execution] = [OperationAction.Succeed, OperationAction.Fail],
    };

    /// <summary>Section 5's rules, as the testing emulator and the Python validators apply them; null when valid.</summary>
    private string? Validate(IReadOnlyList<OperationUpdate> updates)
    {
        var startedInBatch = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, OperationUpdate>(StringComparer.Ordinal);
        var statusInBatch = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < updates.Count; i++)
        {
            var u = updates[i];
            if (!IdPattern().IsMatch(u.Id))
            {
                return $"Invalid operation id '{u.Id}'.";
            }

            if (u.Name is not null && !NamePattern().IsMatch(u.Name))
            {
                return $"Invalid operation name '{u.Name}'.";
            }

            if (!ActionsByType.TryGetValue(u.Type, out var actions) || !actions.Contains(u.Action))
            {
                return $"Invalid action {u.Action} for {u.Type}.";
            }

            if (u.Type == OperationType.Execution)
            {
                if (i != updates.Count - 1)
                {
                    return "The EXECUTION update must be last.";
                }

                continue;
            }

            if (u.ParentId is { } parent)
            {
                var parentOk = (_ops.TryGetValue(parent, out var p) && p.Type == OperationType.Context) ||
                    (startedInBatch.TryGetValue(parent, out var t) && t == OperationType.Context);
                if (!parentOk)
                {
                    return "Invalid parent operation id.";
                }
            }

            if (seen.TryGetValue(u.Id, out var previous) &&
                !(previous.Action == OperationAction.Start && previous.Type is OperationType.Step or OperationType.Context))
            {
                return $"Invalid duplicate update for {u.Id}.";
            }

            if (u.Action == OperationAction.Fail && u.Payload is not null)
            {
                return "FAIL carries no Payload.";
            }

            if (u.Action == OperationAction.Succeed && u.Error is not null)
            {
                return "SUCCEED carries no Error.";
            }

            var status = statusInBatch.TryGetValue(u.Id, out var s) ? s : _ops.GetValueOrDefault(u.Id)?.Status;
            var problem = (u.Type, u.Action) switch
            {
                (OperationType.Step, OperationAction.Start) when status is not (null or OperationStatus.Ready) => "STEP START needs a new or READY step.",
                (OperationType.Step, OperationAction.Succeed or OperationAction.Fail) when status is not (null or OperationStatus.Started or OperationStatus.Ready) =>
                    "STEP SUCCEED/FAIL needs a new, STARTED or READY step.",
                (OperationType.Step, OperationAction.Retry) when u.StepOptions?.NextAttemptDelaySeconds is not (>= 1 and <= 31_622_400) =>
                    "STEP RETRY needs StepOptions.NextAttemptDelaySeconds in 1..31622400.",
                (OperationType.Step, OperationAction.Retry) when u.Error is not null && u.Payload is not null => "STEP RETRY carries Error or Payload, not both.",
                (OperationType.Wait or OperationType.Callback or OperationType.ChainedInvoke, OperationAction.Start) when status is not null =>
                    $"{u.Type} START needs a new operation.",
                (OperationType.Wait, OperationAction.Start) when u.WaitOptions?.WaitSeconds is not (>= 1 and <= 31_622_400) => "WaitSeconds must be 1..31622400.",
                (OperationType.ChainedInvoke, OperationAction.Start) when string.IsNullOrEmpty(u.ChainedInvokeOptions?.FunctionName) => "FunctionName is required.",
                (_, OperationAction.Cancel) when status != OperationStatus.Started => "CANCEL needs a STARTED operation.",
                (OperationType.Context, OperationAction.Start) when status is not null => "CONTEXT START needs a new context.",
                (OperationType.Context, OperationAction.Succeed or OperationAction.Fail) when status is not (null or OperationStatus.Started) =>
                    "CONTEXT SUCCEED/FAIL needs a new or STARTED context.",
                _ => null,
            };
            if (problem is not null)
            {
                return problem;
            }

            seen[u.Id] = u;
            statusInBatch[u.Id] = u.Action switch
            {
                OperationAction.Start => OperationStatus.Started,
                OperationAction.Succeed => OperationStatus.Succeeded,
                OperationAction.Fail => OperationStatus.Failed,
                OperationAction.Retry => OperationStatus.Pending,
                _ => OperationStatus.Cancelled,
            };
            if (u.Action == OperationAction.Start)
            {
                startedInBatch[u.Id] = u.Type;
            }
        }

        return null;
    }

    /// <summary>Section 6: one update's state change.</summary>
    private void Apply(OperationUpdate u)
    {
        var now = Clock.GetUtcNow();
        if (u.Type == OperationType.Execution)
        {
            ExecutionStatus = u.Action == OperationAction.Succeed ? OperationStatus.Succeeded : OperationStatus.Failed;
            ExecutionResult = u.Payload;
            return;
        }

        var existing = _ops.GetValueOrDefault(u.Id);
        var op = existing ?? new Operation
        {
            Id = u.Id,
            ParentId = u.ParentId,
            Name = u.Name,
            Type = u.Type,
            SubType = u.SubType,
            Status = OperationStatus.Started,
            StartTimestamp = now,
        };
        var attempt = op.StepDetails?.Attempt ?? 0;
        op = (u.Type, u.Action) switch
        {
            (OperationType.Step, OperationAction.Start) => op with { Status = OperationStatus.Started, StepDetails = (op.StepDetails ?? new StepDetails()) with { Attempt = attempt, NextAttemptTimestamp = null } },
            (OperationType.Step, OperationAction.Succeed) => op with { Status = OperationStatus.Succeeded, EndTimestamp = now, StepDetails = new StepDetails { Attempt = attempt + 1, Result = u.Payload } },
            (OperationType.Step, OperationAction.Fail) => op with { Status = OperationStatus.Failed, EndTimestamp = now, StepDetails = new StepDetails { Attempt = attempt + 1, Error = u.Error } },
            (OperationType.Step, OperationAction.Retry) => op with
            {
                Status = OperationStatus.Pending,
                StepDetails = new StepDetails
                {
                    Attempt = attempt + 1,
                    Error = u.Error,
                    Result = u.Payload,
                    NextAttemptTimestamp = now.AddSeconds(u.StepOptions!.NextAttemptDelaySeconds!.Value),
                },
            },
            (OperationType.Wait, OperationAction.Start) => op with { Status = OperationStatus.Started, WaitDetails = new WaitDetails { ScheduledEndTimestamp = now.AddSeconds(u.WaitOptions!.WaitSeconds!.Value) } },
            (OperationType.Callback, OperationAction.Start) => op with { Status = OperationStatus.Started, CallbackDetails = new CallbackDetails { CallbackId = $"cb{++_callbackSeq}x{u.Id}" } },
            (OperationType.ChainedInvoke, OperationAction.Start) => op with { Status = OperationStatus.Started, ChainedInvokeDetails = new ChainedInvokeDetails() },
            (OperationType.Context, OperationAction.Start) => op with { Status = OperationStatus.Started },
            (OperationType.Context, OperationAction.Succeed) => op with
            {
                Status = OperationStatus.Succeeded,
                EndTimestamp = now,
                ContextDetails = new ContextDetails { Result = u.Payload, ReplayChildren = u.ContextOptions?.ReplayChildren },
            },
            (OperationType.Context, OperationAction.Fail) => op with { Status = OperationStatus.Failed, EndTimestamp = now, ContextDetails = new ContextDetails { Error = u.Error } },
            (_, OperationAction.Cancel) => op with { Status = OperationStatus.Cancelled, EndTimestamp = now },
            _ => throw new InvalidOperationException($"unexpected {u.Type} {u.Action}"),
        };
        Put(op);
        if (u.Type == OperationType.Wait && u.Action == OperationAction.Start)
        {
            _timers[u.Id] = op.WaitDetails!.ScheduledEndTimestamp!.Value;
        }
        else if (u.Action == OperationAction.Retry)
        {
            _timers[u.Id] = op.StepDetails!.NextAttemptTimestamp!.Value;
        }
        else if (u.Type == OperationType.ChainedInvoke && u.Action == OperationAction.Start)
        {
            _invokes[u.Id] = (u.ChainedInvokeOptions!.FunctionName, u.Payload);
        }
    }

    private void FireTimers(DateTimeOffset upTo)
    {
        foreach (var (id, due) in _timers.ToList())
        {
            if (due > upTo)
            {
                continue;
            }

            _timers.Remove(id);
            var op = _ops[id];
            Put(op.Type == OperationType.Wait
                ? op with { Status = OperationStatus.Succeeded, EndTimestamp = upTo }
                : op with { Status = OperationStatus.Ready, StepDetails = op.StepDetails! with { NextAttemptTimestamp = null } });
        }
    }

    /// <summary>Ends every wait and retry delay now, however far away (skips time).</summary>
    public void FireAllTimers()
    {
        lock (_gate)
        {
            FireTimers(DateTimeOffset.MaxValue);
        }
    }

    public int PendingTimers
    {
        get
        {
            lock (_gate)
            {
                return _timers.Count;
            }
        }
    }

    /// <summary>SendDurableExecutionCallbackSuccess: the raw body becomes the result.</summary>
    public void SucceedCallback(string callbackId, string result) => EndCallback(callbackId, op => op with
    {
        Status = OperationStatus.Succeeded,
        CallbackDetails = op.CallbackDetails! with { Result = result },
    });

    public void FailCallback(string callbackId, string errorType, string message) => EndCallback(callbackId, op => op with
    {
        Status = OperationStatus.Failed,
        CallbackDetails = op.CallbackDetails! with { Error = new ErrorObject { ErrorType = errorType, ErrorMessage = message } },
    });

    public void TimeOutCallback(string callbackId) => EndCallback(callbackId, op => op with
    {
        Status = OperationStatus.TimedOut,
        CallbackDetails = op.CallbackDetails! with { Error = new ErrorObject { ErrorType = "Callback.Timeout", ErrorMessage = "Callback timed out" } },
    });

    private void EndCallback(string callbackId, Func<Operation, Operation> change)
    {
        lock (_gate)
        {
            var op = _order.Select(id => _ops[id]).Single(o => o.CallbackDetails?.CallbackId == callbackId);
            Assert.Equal(OperationStatus.Started, op.Status);
            Put(change(op) with { EndTimestamp = Clock.GetUtcNow() });
        }
    }

    /// <summary>The (function name, payload) of a started chained invoke.</summary>
    public (string FunctionName, string? Payload) InvokeOf(string operationId)
    {
        lock (_gate)
        {
            return _invokes[operationId];
        }
    }

    public void EndInvoke(string operationId, string? result, ErrorObject? error = null)
    {
        lock (_gate)
        {
            var op = _ops[operationId];
            Put(op with
            {
                Status = error is null ? OperationStatus.Succeeded : OperationStatus.Failed,
                EndTimestamp = Clock.GetUtcNow(),
                ChainedInvokeDetails = new ChainedInvokeDetails { Result = result, Error = error },
            });
        }
    }
}
