namespace Lamina.Durable;

internal sealed partial class DurableContext
{
    public async Task StepAsync(string? name, Func<IStepContext, Task> fn, StepConfig? config = null)
    {
        ArgumentNullException.ThrowIfNull(fn);
        await Resume(StepCoreAsync<object?>(name, async s =>
        {
            await fn(s);
            return null;
        }, config, hasResult: false));
    }

    public Task<T> StepAsync<T>(string? name, Func<IStepContext, Task<T>> fn, StepConfig? config = null)
    {
        ArgumentNullException.ThrowIfNull(fn);
        return Resume(StepCoreAsync(name, fn, config, hasResult: true))!;
    }

    /// <remarks>
    /// (1) SUCCEEDED or FAILED in history: return or throw the recorded outcome. (2) PENDING: wait for the retry timer,
    /// then run. (3) STARTED under at-most-once: the previous attempt was interrupted; ask the retry strategy about a
    /// <see cref="StepInterruptedException"/> and checkpoint RETRY or FAIL without running. (4) Run: START (awaited
    /// for at-most-once, fire-and-forget otherwise, skipped when already STARTED), the function, then SUCCEED, or
    /// RETRY with the strategy's delay and back to (2), or FAIL.
    /// </remarks>
    private async Task<T?> StepCoreAsync<T>(string? name, Func<IStepContext, Task<T>> fn, StepConfig? config, bool hasResult,
        string subType = OperationSubType.Step)
    {
        ValidateName(name);
        var stepId = BeginOperation("step");
        if (stepId is null)
        {
            return await ExecutionState.Never<T?>();
        }

        var recorded = _state.Get(stepId);
        if (!ValidateReplay(stepId, recorded, OperationType.Step, name, subType))
        {
            return await ExecutionState.Never<T?>();
        }

        var serializer = config?.Serializer ?? Serializer;
        var semantics = config?.Semantics ?? StepSemantics.AtLeastOncePerRetry;
        var retry = config?.RetryStrategy ?? RetryPresets.Default;

        switch (recorded?.Status)
        {
            case OperationStatus.Succeeded:
                _state.MarkState(stepId, subType, LifecycleState.Completed);
                AfterReplayed();
                return hasResult ? await _state.SafeDeserializeAsync<T>(serializer, recorded.StepDetails?.Result, stepId, name) : default;
            case OperationStatus.Failed:
                _state.MarkState(stepId, subType, LifecycleState.Completed);
                AfterReplayed();
                throw recorded.StepDetails?.Error is { } error ? DurableOperationException.FromErrorObject(error) : new StepException("Unknown error");
            case OperationStatus.Pending:
                await WaitForRetryAsync(stepId, subType, recorded.StepDetails?.NextAttemptTimestamp);
                break;
            case OperationStatus.Started when semantics == StepSemantics.AtMostOncePerRetry:
                var interrupted = new StepInterruptedException();
                var errorObject = DurableOperationException.ErrorObjectFor(interrupted);
                var decision = retry(interrupted, (recorded.StepDetails?.Attempt ?? 0) + 1);
                if (!decision.ShouldRetry)
                {
                    await _state.CheckpointAsync(stepId, Update(stepId, OperationType.Step, subType, OperationAction.Fail, name) with { Error = errorObject });
                    _state.MarkState(stepId, subType, LifecycleState.Completed);
                    throw DurableOperationException.FromErrorObject(errorObject);
                }

                await _state.CheckpointAsync(stepId, Update(stepId, OperationType.Step, subType, OperationAction.Retry, name) with
                {
                    Error = errorObject,
                    StepOptions = new StepOptions { NextAttemptDelaySeconds = DelaySeconds(decision.Delay) },
                });
                await WaitForRetryAsync(stepId, subType, _state.Get(stepId)?.StepDetails?.NextAttemptTimestamp);
                break;
        }

        while (true)
        {
            if (_state.Get(stepId)?.Status != OperationStatus.Started)
            {
                var start = _state.CheckpointAsync(stepId, Update(stepId, OperationType.Step, subType, OperationAction.Start, name));
                if (semantics == StepSemantics.AtMostOncePerRetry)
                {
                    await start;
                }
            }

            var attempt = (_state.Get(stepId)?.StepDetails?.Attempt ?? 0) + 1;
            _state.MarkState(stepId, subType, LifecycleState.Executing);
            T result;
            try
            {
                var stepContext = new StepContext(attempt, OperationIds.Hash(stepId), Logger, _state.Termination.Token);
                result = await ActiveScope.RunAsync(new ActiveScope(stepId, this, IsStep: true), () => fn(stepContext));
            }
            catch (DurableUnrecoverableException unrecoverable)
            {
                return await _state.Fail<T?>(unrecoverable, TerminationReason.OperationTerminated);
            }
            catch (Exception e)
            {
                var errorObject = DurableOperationException.ErrorObjectFor(e);
                attempt = (_state.Get(stepId)?.StepDetails?.Attempt ?? 0) + 1;
                var decision = retry(e, attempt);
                if (!decision.ShouldRetry)
                {
                    await _state.CheckpointAsync(stepId, Update(stepId, OperationType.Step, subType, OperationAction.Fail, name) with { Error = errorObject });
                    _state.MarkState(stepId, subType, LifecycleState.Completed);
                    throw DurableOperationException.FromErrorObject(errorObject);
                }

                await _state.CheckpointAsync(stepId, Update(stepId, OperationType.Step, subType, OperationAction.Retry, name) with
                {
                    Error = errorObject,
                    StepOptions = new StepOptions { NextAttemptDelaySeconds = DelaySeconds(decision.Delay) },
                });
                await WaitForRetryAsync(stepId, subType, _state.Get(stepId)?.StepDetails?.NextAttemptTimestamp);
                continue;
            }

            var payload = hasResult ? await _state.SafeSerializeAsync(serializer, result, stepId, name) : null;
            await _state.CheckpointAsync(stepId, Update(stepId, OperationType.Step, subType, OperationAction.Succeed, name) with { Payload = payload });
            _state.MarkState(stepId, subType, LifecycleState.Completed);

            // As the official SDK, the caller gets the deserialized payload, so a first run and a replay see the same value.
            return hasResult ? await _state.SafeDeserializeAsync<T>(serializer, payload, stepId, name) : default;
        }
    }

    private Task WaitForRetryAsync(string stepId, string subType, DateTimeOffset? nextAttempt)
    {
        _state.MarkState(stepId, subType, LifecycleState.RetryWaiting, nextAttempt);
        return _state.WaitForStatusChangeAsync(stepId);
    }

    private static int DelaySeconds(TimeSpan delay) => Math.Clamp((int)Math.Ceiling(delay.TotalSeconds), 1, 31_622_400);
}
