namespace Lamina.Durable;

internal sealed partial class DurableContext
{
    public Task WaitAsync(string? name, TimeSpan duration) => Resume(WaitCoreAsync(name, duration));

    private async Task WaitCoreAsync(string? name, TimeSpan duration)
    {
        ValidateName(name);
        var seconds = WholeSeconds(duration, nameof(duration));
        var stepId = BeginOperation("wait");
        if (stepId is null)
        {
            await ExecutionState.Never();
            return;
        }

        var recorded = _state.Get(stepId);
        if (!ValidateReplay(stepId, recorded, OperationType.Wait, name, OperationSubType.Wait))
        {
            await ExecutionState.Never();
            return;
        }

        if (recorded?.Status == OperationStatus.Succeeded)
        {
            _state.MarkState(stepId, OperationSubType.Wait, LifecycleState.Completed);
            AfterReplayed();
            return;
        }

        if (recorded is null)
        {
            await _state.CheckpointAsync(stepId, Update(stepId, OperationType.Wait, OperationSubType.Wait, OperationAction.Start, name) with
            {
                WaitOptions = new WaitOptions { WaitSeconds = seconds },
            });
        }

        // A C# task has no "awaited" moment, so a wait counts as awaited as soon as it is started.
        _state.MarkState(stepId, OperationSubType.Wait, LifecycleState.IdleAwaited, _state.Get(stepId)?.WaitDetails?.ScheduledEndTimestamp);
        await _state.WaitForStatusChangeAsync(stepId);
        _state.MarkState(stepId, OperationSubType.Wait, LifecycleState.Completed);
    }
}
