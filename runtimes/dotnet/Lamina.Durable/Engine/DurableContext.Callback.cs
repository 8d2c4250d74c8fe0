namespace Lamina.Durable;

internal sealed partial class DurableContext
{
    public Task<DurableCallback<string>> CreateCallbackAsync(string? name, CallbackConfig? config = null) =>
        Resume(CreateCallbackCoreAsync<string>(name, config?.Timeout, config?.HeartbeatTimeout, config?.Serializer ?? PassThroughSerializer.Instance));

    public Task<DurableCallback<T>> CreateCallbackAsync<T>(string? name, CallbackConfig? config = null) =>
        Resume(CreateCallbackCoreAsync<T>(name, config?.Timeout, config?.HeartbeatTimeout, config?.Serializer ?? _state.Settings.PlainJson));

    /// <remarks>
    /// (1) A final status in history: the callback's outcome is known; its id still comes from history. (2) New: START
    /// (awaited: the service assigns the CallbackId) with the timeouts. (3) The result task waits for a status change,
    /// polling while other branches run; the invocation suspends once it is awaited and nothing else runs.
    /// </remarks>
    private async Task<DurableCallback<T>> CreateCallbackCoreAsync<T>(string? name, TimeSpan? timeout, TimeSpan? heartbeat, IDurableSerializer serializer)
    {
        ValidateName(name);
        var timeoutSeconds = timeout is { } t ? WholeSeconds(t, nameof(timeout)) : (int?)null;
        var heartbeatSeconds = heartbeat is { } h ? WholeSeconds(h, nameof(heartbeat)) : (int?)null;
        var stepId = BeginOperation("createCallback");
        if (stepId is null)
        {
            return await ExecutionState.Never<DurableCallback<T>>();
        }

        var recorded = _state.Get(stepId);
        if (!ValidateReplay(stepId, recorded, OperationType.Callback, name, OperationSubType.Callback))
        {
            return await ExecutionState.Never<DurableCallback<T>>();
        }

        var completed = recorded?.Status is OperationStatus.Succeeded or OperationStatus.Failed or OperationStatus.TimedOut;
        if (completed)
        {
            _state.MarkState(stepId, OperationSubType.Callback, LifecycleState.Completed);
            AfterReplayed();
        }
        else
        {
            if (recorded is null)
            {
                await _state.CheckpointAsync(stepId, Update(stepId, OperationType.Callback, OperationSubType.Callback, OperationAction.Start, name) with
                {
                    CallbackOptions = new CallbackOptions { TimeoutSeconds = timeoutSeconds, HeartbeatTimeoutSeconds = heartbeatSeconds },
                });
            }

            _state.MarkState(stepId, OperationSubType.Callback, LifecycleState.IdleNotAwaited);
        }

        var callbackId = _state.Get(stepId)?.CallbackDetails?.CallbackId;
        if (string.IsNullOrEmpty(callbackId))
        {
            throw new CallbackException($"No callback ID found for {(completed ? "completed" : "started")} callback: {stepId}");
        }

        return new DurableCallback<T>(callbackId, completed
            ? () => Resume(CallbackOutcomeAsync<T>(stepId, name, serializer))
            : () => Resume(AwaitCallbackAsync<T>(stepId, name, serializer)));
    }

    private async Task<T> AwaitCallbackAsync<T>(string stepId, string? name, IDurableSerializer serializer)
    {
        _state.Release(ActiveScope.Current);
        _state.MarkAwaited(stepId);
        await _state.WaitForStatusChangeAsync(stepId);
        _state.MarkState(stepId, OperationSubType.Callback, LifecycleState.Completed);
        return await CallbackOutcomeAsync<T>(stepId, name, serializer);
    }

    private async Task<T> CallbackOutcomeAsync<T>(string stepId, string? name, IDurableSerializer serializer)
    {
        var operation = _state.Get(stepId);
        var details = operation?.CallbackDetails;
        if (operation?.Status == OperationStatus.Succeeded)
        {
            if (details is null)
            {
                throw new CallbackException($"No callback data found for completed callback: {stepId}");
            }

            return (await _state.SafeDeserializeAsync<T>(serializer, details.Result, stepId, name))!;
        }

        var error = details?.Error;
        if (operation?.Status == OperationStatus.TimedOut)
        {
            throw new CallbackTimeoutException(NonEmpty(error?.ErrorMessage, "Callback timed out"), error?.ErrorType, error?.ErrorData);
        }

        throw new CallbackFailedException(NonEmpty(error?.ErrorMessage, "Callback failed"), error?.ErrorType, error?.ErrorData);
    }

    public Task<string> WaitForCallbackAsync(string? name, Func<string, IStepContext, Task> submitter, WaitForCallbackConfig? config = null) =>
        Resume(WaitForCallbackCoreAsync(name, submitter, config));

    public Task<T> WaitForCallbackAsync<T>(string? name, Func<string, IStepContext, Task> submitter, WaitForCallbackConfig? config = null) =>
        Resume(WaitForCallbackTypedAsync<T>(name, submitter, config));

    private async Task<T> WaitForCallbackTypedAsync<T>(string? name, Func<string, IStepContext, Task> submitter, WaitForCallbackConfig? config = null)
    {
        var raw = await WaitForCallbackCoreAsync(name, submitter, config);
        var serializer = config?.Serializer ?? _state.Settings.PlainJson;
        return (await _state.SafeDeserializeAsync<T>(serializer, raw, PeekStepIdForResult(), name))!;
    }

    // The WaitForCallback context was the last operation taken; its id names the deserialization in errors only.
    private string PeekStepIdForResult() => StepIdFor(Volatile.Read(ref _counter));

    /// <summary>
    /// A CONTEXT (subtype WaitForCallback, the given name) holding an unnamed CALLBACK and an unnamed submitter STEP,
    /// as the official SDK builds it; the context's result is the raw callback string.
    /// </summary>
    private Task<string> WaitForCallbackCoreAsync(string? name, Func<string, IStepContext, Task> submitter, WaitForCallbackConfig? config)
    {
        ArgumentNullException.ThrowIfNull(submitter);
        return RunChildCoreAsync<string>(name, async child =>
        {
            var callback = await child.CreateCallbackCoreAsync<string>(null, config?.Timeout, config?.HeartbeatTimeout, PassThroughSerializer.Instance);
            await child.StepAsync(null, s => submitter(callback.CallbackId, s), new StepConfig { RetryStrategy = config?.RetryStrategy });
            return await callback.GetResultAsync();
        }, new ChildOptions<string>(OperationSubType.WaitForCallback, null, null, MapWaitForCallbackError));
    }

    private static DurableOperationException MapWaitForCallbackError(DurableOperationException original) => original switch
    {
        CallbackException and not CallbackSubmitterException => original,
        StepException => new CallbackSubmitterException(original.Message, original.RecordedErrorType, original.ErrorData, original),
        _ => new ChildContextException(original.Message, original.ErrorType, original.ErrorData, original),
    };

    private static string NonEmpty(string? value, string fallback) => string.IsNullOrEmpty(value) ? fallback : value;
}
