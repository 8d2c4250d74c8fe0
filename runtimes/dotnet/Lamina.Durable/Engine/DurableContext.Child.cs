using System.Text;

namespace Lamina.Durable;

/// <summary>How a child context is recorded: its subtype, serializer, summary for large results, error mapping.</summary>
internal sealed record ChildOptions<T>(
    string SubType,
    IDurableSerializer? Serializer,
    Func<T, string>? SummaryGenerator,
    Func<DurableOperationException, Exception>? ErrorMapper);

internal sealed partial class DurableContext
{
    /// <summary>Results above this many UTF-8 bytes are not checkpointed; the children are replayed instead (ReplayChildren).</summary>
    internal const int CheckpointSizeLimitBytes = 256 * 1024;

    public Task<T> RunInChildContextAsync<T>(string? name, Func<IDurableContext, Task<T>> fn, ChildContextConfig? config = null)
    {
        ArgumentNullException.ThrowIfNull(fn);
        var summary = config?.SummaryGenerator;
        return Resume(RunChildCoreAsync<T>(name, child => fn(child), new ChildOptions<T>(
            config?.SubType ?? OperationSubType.RunInChildContext, config?.Serializer,
            summary is null ? null : value => summary(value), null)));
    }

    private async Task<T> RunChildCoreAsync<T>(string? name, Func<DurableContext, Task<T>> fn, ChildOptions<T> options)
    {
        ValidateName(name);
        var stepId = BeginOperation("runInChildContext");
        if (stepId is null)
        {
            return await ExecutionState.Never<T>();
        }

        var result = await RunChildAtAsync(stepId, name, fn, options);
        AfterReplayed();
        return result;
    }

    /// <remarks>
    /// (1) SUCCEEDED/FAILED in history: return or throw the recorded outcome without running the function, unless the
    /// result was too large to record (ReplayChildren), in which case the function re-runs against its recorded
    /// children. (2) Otherwise START (fire-and-forget, skipped when already started) and run the function with a child
    /// context whose operations are numbered under this one. (3) SUCCEED with the result, or with a summary and
    /// ReplayChildren when the result exceeds 256 KB; FAIL with the error. Operations of the child that are still
    /// running once it finished (a batch that completed early) are no longer checkpointed.
    /// </remarks>
    private async Task<T> RunChildAtAsync<T>(string stepId, string? name, Func<DurableContext, Task<T>> fn, ChildOptions<T> options)
    {
        var recorded = _state.Get(stepId);
        if (!ValidateReplay(stepId, recorded, OperationType.Context, name, options.SubType))
        {
            return await ExecutionState.Never<T>();
        }

        var serializer = options.Serializer ?? Serializer;
        if (recorded?.Status is OperationStatus.Succeeded or OperationStatus.Failed)
        {
            _state.MarkAncestorFinished(stepId);
            if (recorded.Status == OperationStatus.Failed)
            {
                var original = recorded.ContextDetails?.Error is { } recordedError
                    ? DurableOperationException.FromErrorObject(recordedError)
                    : new ChildContextException("Child context failed");
                throw MapChildError(original, options);
            }

            if (recorded.ContextDetails?.ReplayChildren == true)
            {
                var replayed = new DurableContext(_state, stepId, ReplayMode.ReplaySucceededContext, Serializer);
                var replayScope = new ActiveScope(stepId, replayed, IsStep: false);
                T rebuilt;
                try
                {
                    rebuilt = await ActiveScope.RunAsync(replayScope, () => fn(replayed));
                }
                finally
                {
                    _state.Release(replayScope);
                }

                var again = await _state.SafeSerializeAsync(serializer, rebuilt, stepId, name);
                return (await _state.SafeDeserializeAsync<T>(serializer, again, stepId, name))!;
            }

            return (await _state.SafeDeserializeAsync<T>(serializer, recorded.ContextDetails?.Result, stepId, name))!;
        }

        if (recorded is null)
        {
            _ = _state.CheckpointAsync(stepId, Update(stepId, OperationType.Context, options.SubType, OperationAction.Start, name));
        }

        var mode = recorded is not null && _state.Get(stepId + "-1") is not null ? ReplayMode.Replay : ReplayMode.Execution;
        // The child's own operations use this context's default serializer; options.Serializer is for the child's result only.
        var child = new DurableContext(_state, stepId, mode, Serializer);
        var childScope = new ActiveScope(stepId, child, IsStep: false);
        T result;
        try
        {
            result = await ActiveScope.RunAsync(childScope, () => fn(child));
        }
        catch (DurableUnrecoverableException unrecoverable)
        {
            return await _state.Fail<T>(unrecoverable, TerminationReason.OperationTerminated);
        }
        catch (Exception e)
        {
            var errorObject = DurableOperationException.ErrorObjectFor(e);
            _state.MarkAncestorFinished(stepId);
            _ = _state.CheckpointAsync(stepId, Update(stepId, OperationType.Context, options.SubType, OperationAction.Fail, name) with { Error = errorObject });
            throw MapChildError(DurableOperationException.FromErrorObject(errorObject), options);
        }
        finally
        {
            // The child's code is done; the caller's code resumes next.
            _state.Release(childScope);
            _state.Lease(ActiveScope.Current);
        }

        _state.MarkAncestorFinished(stepId);
        var payload = await _state.SafeSerializeAsync(serializer, result, stepId, name);
        var recordedPayload = payload;
        var replayChildren = false;
        if (payload is not null && Encoding.UTF8.GetByteCount(payload) > CheckpointSizeLimitBytes)
        {
            replayChildren = true;
            recordedPayload = options.SummaryGenerator?.Invoke(result) ?? "";
        }

        _ = _state.CheckpointAsync(stepId, Update(stepId, OperationType.Context, options.SubType, OperationAction.Succeed, name) with
        {
            Payload = recordedPayload,
            ContextOptions = replayChildren ? new ContextOptions { ReplayChildren = true } : null,
        });
        return (await _state.SafeDeserializeAsync<T>(serializer, payload, stepId, name))!;
    }

    private static Exception MapChildError<T>(DurableOperationException original, ChildOptions<T> options) =>
        options.ErrorMapper?.Invoke(original) ?? new ChildContextException(original.Message, original.ErrorType, original.ErrorData, original);
}
