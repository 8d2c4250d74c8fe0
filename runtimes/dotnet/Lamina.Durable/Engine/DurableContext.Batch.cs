namespace Lamina.Durable;

internal sealed partial class DurableContext
{
    private sealed record BatchItemSpec<T>(string Id, string? Name, int Index, Func<IDurableContext, Task<T>> Run);

    private sealed record BatchSettings(string ItemSubType, int MaxConcurrency, CompletionConfig? Completion, IDurableSerializer? ItemSerializer);

    public Task<BatchResult<T>> ParallelAsync<T>(string? name, IReadOnlyList<ParallelBranch<T>> branches, ParallelConfig? config = null)
    {
        ArgumentNullException.ThrowIfNull(branches);
        var items = new List<BatchItemSpec<T>>(branches.Count);
        for (var i = 0; i < branches.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(branches[i]?.Func, nameof(branches));
            items.Add(new BatchItemSpec<T>($"parallel-branch-{i}", branches[i].Name, i, branches[i].Func));
        }

        return Resume(RunBatchAsync(name, items, OperationSubType.Parallel, OperationSubType.ParallelBranch, parallel: true,
            config?.MaxConcurrency, config?.CompletionConfig, config?.ItemSerializer));
    }

    public Task<BatchResult<TResult>> MapAsync<TItem, TResult>(string? name, IReadOnlyList<TItem> items,
        Func<IDurableContext, TItem, int, Task<TResult>> fn, MapConfig<TItem>? config = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(fn);
        var specs = new List<BatchItemSpec<TResult>>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var index = i;
            specs.Add(new BatchItemSpec<TResult>($"map-item-{i}", config?.ItemNamer?.Invoke(item, i), i, c => fn(c, item, index)));
        }

        return Resume(RunBatchAsync(name, specs, OperationSubType.Map, OperationSubType.MapIteration, parallel: false,
            config?.MaxConcurrency, config?.CompletionConfig, config?.ItemSerializer));
    }

    /// <summary>One CONTEXT (Parallel or Map) whose children are one CONTEXT per item (ParallelBranch or MapIteration).</summary>
    private Task<BatchResult<T>> RunBatchAsync<T>(string? name, List<BatchItemSpec<T>> items, string subType, string itemSubType, bool parallel,
        int? maxConcurrency, CompletionConfig? completion, IDurableSerializer? itemSerializer)
    {
        if (maxConcurrency is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxConcurrency), maxConcurrency, "MaxConcurrency must be positive, or null for unlimited.");
        }

        var settings = new BatchSettings(itemSubType, maxConcurrency ?? int.MaxValue, completion, itemSerializer);
        return RunChildCoreAsync(name, batch => batch._mode == ReplayMode.ReplaySucceededContext
                ? batch.ReplayBatchItemsAsync(items, settings)
                : batch.RunBatchItemsAsync(items, settings),
            new ChildOptions<BatchResult<T>>(subType, new BatchResultSerializer<T>(Serializer), r => BatchWire.Summary(r, parallel), null));
    }

    /// <remarks>
    /// (1) Start items in input order while fewer than MaxConcurrency run and the policy allows more; item k always
    /// takes the k-th child id, so ids do not depend on which item finishes first. (2) As each item ends, record it,
    /// then either complete the batch (all done, MinSuccessful reached, or failures over tolerance) or start more.
    /// (3) Items still running at completion are reported as Started; their later checkpoints are dropped.
    /// </remarks>
    private async Task<BatchResult<T>> RunBatchItemsAsync<T>(List<BatchItemSpec<T>> items, BatchSettings settings)
    {
        var total = items.Count;
        if (total == 0)
        {
            return new BatchResult<T>([], CompletionReasonFor(settings.Completion, 0, 0, 0, 0));
        }

        var gate = new object();
        var results = new BatchItem<T>?[total];
        int active = 0, next = 0, completed = 0, succeeded = 0, failed = 0;
        var finished = false;
        var done = new TaskCompletionSource<BatchResult<T>>(TaskCreationOptions.RunContinuationsAsynchronously);

        bool ShouldContinue() => ShouldContinueBatch(settings.Completion, failed, total);

        List<(BatchItemSpec<T> Spec, string StepId)> TakeStarts()
        {
            var starts = new List<(BatchItemSpec<T>, string)>();
            while (active < settings.MaxConcurrency && next < total && ShouldContinue())
            {
                var spec = items[next++];
                active++;
                results[spec.Index] = new BatchItem<T>(spec.Index, BatchItemStatus.Started, default, null);
                starts.Add((spec, NextStepId()));
            }

            return starts;
        }

        async Task RunItemAsync(BatchItemSpec<T> spec, string stepId)
        {
            BatchItem<T> outcome;
            try
            {
                var value = await RunChildAtAsync(stepId, spec.Name ?? spec.Id, c => spec.Run(c),
                    new ChildOptions<T>(settings.ItemSubType, settings.ItemSerializer, null, null));
                outcome = new BatchItem<T>(spec.Index, BatchItemStatus.Succeeded, value, null);
            }
            catch (Exception e)
            {
                var error = e as ChildContextException ?? new ChildContextException(e.Message, DurableOperationException.ErrorObjectFor(e).ErrorType, null, e);
                outcome = new BatchItem<T>(spec.Index, BatchItemStatus.Failed, default, error);
            }

            List<(BatchItemSpec<T> Spec, string StepId)>? more = null;
            lock (gate)
            {
                if (finished)
                {
                    return;
                }

                results[spec.Index] = outcome;
                active--;
                completed++;
                if (outcome.Status == BatchItemStatus.Succeeded)
                {
                    succeeded++;
                }
                else
                {
                    failed++;
                }

                var complete = completed == total || (settings.Completion?.MinSuccessful is { } min && succeeded >= min);
                if (complete || !ShouldContinue())
                {
                    finished = true;
                    done.TrySetResult(new BatchResult<T>([.. results.Where(r => r is not null).Select(r => r!)],
                        CompletionReasonFor(settings.Completion, failed, succeeded, completed, total)));
                }
                else
                {
                    more = TakeStarts();
                }
            }

            if (more is not null)
            {
                foreach (var (nextSpec, nextStepId) in more)
                {
                    _ = RunItemAsync(nextSpec, nextStepId);
                }
            }

            if (!finished)
            {
                // The batch's own code waits for its items again.
                _state.Release(ActiveScope.Current);
            }
        }

        List<(BatchItemSpec<T> Spec, string StepId)> first;
        lock (gate)
        {
            first = TakeStarts();
        }

        foreach (var (spec, stepId) in first)
        {
            _ = RunItemAsync(spec, stepId);
        }

        return await done.Task;
    }

    /// <summary>
    /// Rebuilds a batch whose result was too large to record: items the summary marks as finished replay from their
    /// recorded child contexts; the others keep their ids but are not run.
    /// </summary>
    private async Task<BatchResult<T>> ReplayBatchItemsAsync<T>(List<BatchItemSpec<T>> items, BatchSettings settings)
    {
        var (recordedReason, statuses) = BatchWire.ParseSummary(_prefix is null ? null : _state.Get(_prefix)?.ContextDetails?.Result);
        var results = new List<BatchItem<T>>();
        foreach (var spec in items)
        {
            var stepId = NextStepId();
            var child = _state.Get(stepId);
            var childFinished = child is null || child.Status is OperationStatus.Succeeded or OperationStatus.Failed;
            var finished = statuses is not null
                ? spec.Index < statuses.Length && statuses[spec.Index] is 'S' or 'F' && childFinished
                : child?.Status is OperationStatus.Succeeded or OperationStatus.Failed;
            if (!finished)
            {
                continue;
            }

            try
            {
                var value = await RunChildAtAsync(stepId, spec.Name ?? spec.Id, c => spec.Run(c),
                    new ChildOptions<T>(settings.ItemSubType, settings.ItemSerializer, null, null));
                results.Add(new BatchItem<T>(spec.Index, BatchItemStatus.Succeeded, value, null));
            }
            catch (Exception e)
            {
                var error = e as ChildContextException ?? new ChildContextException(e.Message, DurableOperationException.ErrorObjectFor(e).ErrorType, null, e);
                results.Add(new BatchItem<T>(spec.Index, BatchItemStatus.Failed, default, error));
            }
        }

        var succeeded = results.Count(r => r.Status == BatchItemStatus.Succeeded);
        var failed = results.Count(r => r.Status == BatchItemStatus.Failed);
        return new BatchResult<T>(results, recordedReason ?? CompletionReasonFor(settings.Completion, failed, succeeded, succeeded + failed, items.Count));
    }

    /// <summary>With no completion config (or an empty one) the first failure stops the batch; otherwise failures beyond tolerance do.</summary>
    private static bool ShouldContinueBatch(CompletionConfig? completion, int failed, int total)
    {
        if (completion is null || !completion.HasCriteria)
        {
            return failed == 0;
        }

        if (completion.ToleratedFailureCount is { } count && failed > count)
        {
            return false;
        }

        return completion.ToleratedFailurePercentage is not { } percentage || failed * 100.0 / total <= percentage;
    }

    private static BatchCompletionReason CompletionReasonFor(CompletionConfig? completion, int failed, int succeeded, int completed, int total)
    {
        if (completion is null || !completion.HasCriteria)
        {
            if (failed > 0)
            {
                return BatchCompletionReason.FailureToleranceExceeded;
            }
        }
        else
        {
            if (completion.ToleratedFailureCount is { } count && failed > count)
            {
                return BatchCompletionReason.FailureToleranceExceeded;
            }

            if (completion.ToleratedFailurePercentage is { } percentage && failed * 100.0 / total > percentage)
            {
                return BatchCompletionReason.FailureToleranceExceeded;
            }
        }

        if (completed == total)
        {
            return BatchCompletionReason.AllCompleted;
        }

        return completion?.MinSuccessful is { } min && succeeded >= min ? BatchCompletionReason.MinSuccessfulReached : BatchCompletionReason.AllCompleted;
    }
}
