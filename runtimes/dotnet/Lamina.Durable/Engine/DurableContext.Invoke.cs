namespace Lamina.Durable;

internal sealed partial class DurableContext
{
    /// <remarks>
    /// START (awaited) carries the serialized input and <c>ChainedInvokeOptions{FunctionName, TenantId}</c>; the
    /// service runs the target and reports SUCCEEDED, FAILED, TIMED_OUT or STOPPED.
    /// </remarks>
    public Task<TResult> InvokeAsync<TPayload, TResult>(string? name, string functionName, TPayload payload, InvokeConfig? config = null) =>
        Resume(InvokeCoreAsync<TPayload, TResult>(name, functionName, payload, config));

    private async Task<TResult> InvokeCoreAsync<TPayload, TResult>(string? name, string functionName, TPayload payload, InvokeConfig? config)
    {
        ArgumentException.ThrowIfNullOrEmpty(functionName);
        ValidateName(name);
        var stepId = BeginOperation("invoke");
        if (stepId is null)
        {
            return await ExecutionState.Never<TResult>();
        }

        var recorded = _state.Get(stepId);
        if (!ValidateReplay(stepId, recorded, OperationType.ChainedInvoke, name, OperationSubType.ChainedInvoke))
        {
            return await ExecutionState.Never<TResult>();
        }

        if (OperationStatus.IsTerminal(recorded?.Status))
        {
            _state.MarkState(stepId, OperationSubType.ChainedInvoke, LifecycleState.Completed);
            AfterReplayed();
            return await InvokeOutcomeAsync<TResult>(stepId, name, config);
        }

        if (recorded is null)
        {
            var input = await _state.SafeSerializeAsync(config?.PayloadSerializer ?? _state.Settings.PlainJson, payload, stepId, name);
            await _state.CheckpointAsync(stepId, Update(stepId, OperationType.ChainedInvoke, OperationSubType.ChainedInvoke, OperationAction.Start, name) with
            {
                Payload = input,
                ChainedInvokeOptions = new ChainedInvokeOptions { FunctionName = functionName, TenantId = config?.TenantId },
            });
        }

        _state.MarkState(stepId, OperationSubType.ChainedInvoke, LifecycleState.IdleAwaited);
        await _state.WaitForStatusChangeAsync(stepId);
        _state.MarkState(stepId, OperationSubType.ChainedInvoke, LifecycleState.Completed);
        return await InvokeOutcomeAsync<TResult>(stepId, name, config);
    }

    private async Task<TResult> InvokeOutcomeAsync<TResult>(string stepId, string? name, InvokeConfig? config)
    {
        var operation = _state.Get(stepId);
        if (operation?.Status == OperationStatus.Succeeded)
        {
            return (await _state.SafeDeserializeAsync<TResult>(config?.ResultSerializer ?? _state.Settings.PlainJson,
                operation.ChainedInvokeDetails?.Result, stepId, name))!;
        }

        var error = operation?.ChainedInvokeDetails?.Error;
        throw new InvokeException(NonEmpty(error?.ErrorMessage, "Invoke failed"), error?.ErrorType, error?.ErrorData);
    }
}
