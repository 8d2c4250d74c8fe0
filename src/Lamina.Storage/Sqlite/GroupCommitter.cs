using System.Threading.Channels;

namespace Lamina.Storage.Sqlite;

/// <summary>
/// Group commit: items submitted concurrently are written by one loop in batches, one fsync'd transaction
/// per batch, and each submitter returns once its batch is durable (or with the batch's failure).
/// </summary>
/// <remarks>
/// Bounded so a flood waits instead of growing memory. Under load a batch collects everything that arrived
/// during the previous commit, so the cost of one fsync (about 1-5 ms on SSDs) is shared by all of them.
/// </remarks>
internal sealed class GroupCommitter<T>(Func<IReadOnlyList<T>, Task> commit, int capacity, int maxBatch)
{
    private readonly Channel<(T Item, TaskCompletionSource Done)> _pending =
        Channel.CreateBounded<(T, TaskCompletionSource)>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });

    private readonly Lock _startLock = new();
    private Task? _loop;

    public async Task SubmitAsync(T item, CancellationToken cancellationToken)
    {
        EnsureStarted();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _pending.Writer.WriteAsync((item, done), cancellationToken);
        await done.Task;
    }

    /// <summary>Stops taking items and waits (up to <paramref name="timeout"/>) for the queued ones to commit.</summary>
    public async Task CompleteAsync(TimeSpan timeout)
    {
        _pending.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop.WaitAsync(timeout);
        }
    }

    private void EnsureStarted()
    {
        if (_loop is not null)
        {
            return;
        }

        lock (_startLock)
        {
            // The loop outlives the request that happens to start it: it must not carry that request's
            // async-local state (such as the audit context the store's triggers read).
            using (ExecutionContext.SuppressFlow())
            {
                _loop ??= Task.Run(LoopAsync);
            }
        }
    }

    private async Task LoopAsync()
    {
        var batch = new List<(T Item, TaskCompletionSource Done)>(maxBatch);
        var items = new List<T>(maxBatch);
        while (await _pending.Reader.WaitToReadAsync())
        {
            while (batch.Count < maxBatch && _pending.Reader.TryRead(out var entry))
            {
                batch.Add(entry);
                items.Add(entry.Item);
            }

            try
            {
                await commit(items);
                foreach (var (_, done) in batch)
                {
                    done.TrySetResult();
                }
            }
            catch (Exception ex)
            {
                // The loop outlives a failed batch: its submitters get the failure, later batches are tried afresh.
                foreach (var (_, done) in batch)
                {
                    done.TrySetException(ex);
                }
            }

            batch.Clear();
            items.Clear();
        }
    }
}
