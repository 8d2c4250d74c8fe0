namespace Lamina.Durable;

/// <summary>Where one item of a batch ended.</summary>
public enum BatchItemStatus
{
    Succeeded,
    Failed,

    /// <summary>Still running when the batch completed (its completion policy was met first).</summary>
    Started,
}

/// <summary>Why a batch completed.</summary>
public enum BatchCompletionReason
{
    AllCompleted,
    MinSuccessfulReached,
    FailureToleranceExceeded,
}

/// <summary>One item of a batch: its index in the input, status and result or error.</summary>
public sealed record BatchItem<T>(int Index, BatchItemStatus Status, T? Result, DurableOperationException? Error);

/// <summary>The outcome of <c>ParallelAsync</c> or <c>MapAsync</c>: the items that started, in input order.</summary>
public sealed class BatchResult<T>
{
    public BatchResult(IReadOnlyList<BatchItem<T>> all, BatchCompletionReason completionReason)
    {
        ArgumentNullException.ThrowIfNull(all);
        All = all;
        CompletionReason = completionReason;
        foreach (var item in all)
        {
            switch (item.Status)
            {
                case BatchItemStatus.Succeeded:
                    SuccessCount++;
                    break;
                case BatchItemStatus.Failed:
                    FailureCount++;
                    break;
                default:
                    StartedCount++;
                    break;
            }
        }
    }

    public IReadOnlyList<BatchItem<T>> All { get; }

    public BatchCompletionReason CompletionReason { get; }

    public int SuccessCount { get; }

    public int FailureCount { get; }

    public int StartedCount { get; }

    public int TotalCount => All.Count;

    public bool HasFailure => FailureCount > 0;

    /// <summary>Failed when any item failed, Succeeded otherwise.</summary>
    public BatchItemStatus Status => HasFailure ? BatchItemStatus.Failed : BatchItemStatus.Succeeded;

    public IReadOnlyList<BatchItem<T>> Succeeded() => [.. All.Where(i => i.Status == BatchItemStatus.Succeeded)];

    public IReadOnlyList<BatchItem<T>> Failed() => [.. All.Where(i => i.Status == BatchItemStatus.Failed)];

    public IReadOnlyList<BatchItem<T>> Started() => [.. All.Where(i => i.Status == BatchItemStatus.Started)];

    /// <summary>The results of the items that succeeded, in input order.</summary>
    public IReadOnlyList<T> GetResults() => [.. All.Where(i => i.Status == BatchItemStatus.Succeeded).Select(i => i.Result!)];

    public IReadOnlyList<DurableOperationException> GetErrors() => [.. All.Where(i => i.Error is not null).Select(i => i.Error!)];

    /// <summary>Throws the first item error, if any.</summary>
    public void ThrowIfError()
    {
        foreach (var item in All)
        {
            if (item.Status == BatchItemStatus.Failed && item.Error is not null)
            {
                throw item.Error;
            }
        }
    }
}
