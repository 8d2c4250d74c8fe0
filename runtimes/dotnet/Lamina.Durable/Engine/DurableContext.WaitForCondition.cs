namespace Lamina.Durable;

internal sealed partial class DurableContext
{
    /// <remarks>
    /// A STEP with subtype WaitForCondition. Each poll: START (unless already STARTED), run the check with the last
    /// recorded state (<c>StepDetails.Result</c>) or the initial one, then ask the wait strategy: done → SUCCEED with
    /// the state; again → RETRY with <c>Payload</c> = state and the delay, suspend until READY, poll again. A throwing
    /// check or strategy → FAIL.
    /// </remarks>
    public Task<TState> WaitForConditionAsync<TState>(string? name, Func<TState, IStepContext, Task<TState>> check, WaitForConditionConfig<TState> config) =>
        Resume(WaitForConditionCoreAsync(name, check, config));

    private async Task<TState> WaitForConditionCoreAsync<TState>(string? name, Func<TState, IStepContext, Task<TState>> check, WaitForConditionConfig<TState> config)
    {
        ArgumentNullException.ThrowIfNull(check);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(config.WaitStrategy);
        ValidateName(name);
        const string SubType = OperationSubType.WaitForCondition;
        var stepId = BeginOperation("waitForCondition");
        if (stepId is null)
        {
            return await ExecutionState.Never<TState>();
        }

        var recorded = _state.Get(stepId);
        if (!ValidateReplay(stepId, recorded, OperationType.Step, name, SubType))
        {
            return await ExecutionState.Never<TState>();
        }

        var serializer = config.Serializer ?? Serializer;
        switch (recorded?.Status)
        {
            case OperationStatus.Succeeded:
                _state.MarkState(stepId, SubType, LifecycleState.Completed);
                AfterReplayed();
                return (await _state.SafeDeserializeAsync<TState>(serializer, recorded.StepDetails?.Result, stepId, name))!;
            case OperationStatus.Failed:
                _state.MarkState(stepId, SubType, LifecycleState.Completed);
                AfterReplayed();
                throw recorded.StepDetails?.Error is { } error
                    ? DurableOperationException.FromErrorObject(error)
                    : new WaitForConditionException("waitForCondition failed");
            case OperationStatus.Pending:
                await WaitForRetryAsync(stepId, SubType, recorded.StepDetails?.NextAttemptTimestamp);
                break;
        }

        while (true)
        {
            var current = _state.Get(stepId);
            var state = current?.Status is OperationStatus.Started or OperationStatus.Ready && current.StepDetails?.Result is { } saved
                ? (await _state.SafeDeserializeAsync<TState>(serializer, saved, stepId, name))!
                : config.InitialState;
            var attempt = (current?.StepDetails?.Attempt ?? 0) + 1;
            if (current?.Status != OperationStatus.Started)
            {
                _ = _state.CheckpointAsync(stepId, Update(stepId, OperationType.Step, SubType, OperationAction.Start, name));
            }

            _state.MarkState(stepId, SubType, LifecycleState.Executing);
            string? payload;
            WaitDecision decision;
            TState roundTripped;
            try
            {
                var stepContext = new StepContext(attempt, OperationIds.Hash(stepId), Logger, _state.Termination.Token);
                var next = await ActiveScope.RunAsync(new ActiveScope(stepId, this, IsStep: true), () => check(state, stepContext));
                payload = await _state.SafeSerializeAsync(serializer, next, stepId, name);
                roundTripped = (await _state.SafeDeserializeAsync<TState>(serializer, payload, stepId, name))!;
                decision = config.WaitStrategy(roundTripped, attempt);
            }
            catch (DurableUnrecoverableException unrecoverable)
            {
                return await _state.Fail<TState>(unrecoverable, TerminationReason.OperationTerminated);
            }
            catch (Exception e)
            {
                var errorObject = DurableOperationException.ErrorObjectFor(e);
                await _state.CheckpointAsync(stepId, Update(stepId, OperationType.Step, SubType, OperationAction.Fail, name) with { Error = errorObject });
                _state.MarkState(stepId, SubType, LifecycleState.Completed);
                throw DurableOperationException.FromErrorObject(errorObject);
            }

            if (!decision.ShouldContinue)
            {
                await _state.CheckpointAsync(stepId, Update(stepId, OperationType.Step, SubType, OperationAction.Succeed, name) with { Payload = payload });
                _state.MarkState(stepId, SubType, LifecycleState.Completed);
                return roundTripped;
            }

            await _state.CheckpointAsync(stepId, Update(stepId, OperationType.Step, SubType, OperationAction.Retry, name) with
            {
                Payload = payload,
                StepOptions = new StepOptions { NextAttemptDelaySeconds = DelaySeconds(decision.Delay) },
            });
            await WaitForRetryAsync(stepId, SubType, _state.Get(stepId)?.StepDetails?.NextAttemptTimestamp);
        }
    }
}
