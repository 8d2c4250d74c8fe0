using Lamina.Core.Async;
using Lamina.Core.Storage;

namespace Lamina.Hosting;

/// <summary>
/// Drains the event queue: claims due events fairly across functions, runs up to
/// <see cref="AsyncOptions.MaxInFlight"/> of them at once through <see cref="AsyncProcessor"/>, and wakes
/// on every enqueue, at the next scheduled retry, or once a second.
/// </summary>
internal sealed partial class AsyncPoller(
    IStore store,
    AsyncProcessor processor,
    AsyncInvokeService service,
    AsyncOptions options,
    TimeProvider time,
    ILogger<AsyncPoller> logger) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private int _inFlight;

    /// <summary>This process's claims; a restarted single node releases its predecessor's at start.</summary>
    public string Node { get; } = Guid.NewGuid().ToString("N");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        service.Enqueued += Wake;
        try
        {
            await store.Queue.ReleaseForeignClaimsAsync(Node, stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                var free = options.MaxInFlight - Volatile.Read(ref _inFlight);
                IReadOnlyList<AsyncEvent> claimed = [];
                if (free > 0)
                {
                    claimed = await store.Queue.ClaimAsync(Node, time.GetUtcNow(), free, options.PerFunctionPerClaim, options.ClaimLease, stoppingToken);
                    foreach (var e in claimed)
                    {
                        Interlocked.Increment(ref _inFlight);
                        _ = RunAsync(e, stoppingToken);
                    }
                }

                if (claimed.Count == free && free > 0)
                {
                    continue;
                }

                var next = await store.Queue.NextVisibleAsync(stoppingToken);
                var wait = TimeSpan.FromSeconds(1);
                if (next is { } due && due - time.GetUtcNow() < wait)
                {
                    wait = due - time.GetUtcNow();
                }

                if (wait > TimeSpan.Zero)
                {
                    await _wake.WaitAsync(wait, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            service.Enqueued -= Wake;
        }
    }

    private void Wake() => _wake.Release();

    private async Task RunAsync(AsyncEvent e, CancellationToken stoppingToken)
    {
        try
        {
            await processor.ProcessAsync(e, Node, stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The event runs again: at-least-once, never lost. Released for a retry in 5 s rather than
            // left claimed until its 16-minute lease lapses; if even that fails, the lease still ends.
            Log.ProcessingFailed(logger, e.Id, ex);
            try
            {
                await store.Queue.RescheduleAsync(e.Id, Node, time.GetUtcNow() + options.Scaled(TimeSpan.FromSeconds(5)), e.Attempts, e.ThrottleAttempts,
                    CancellationToken.None);
            }
            catch (Exception again) when (again is not OperationCanceledException)
            {
                Log.ProcessingFailed(logger, e.Id, again);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            Wake();
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    private static partial class Log
    {
        // 1700-1799: asynchronous invocation.
        [LoggerMessage(1700, LogLevel.Warning, "Async event {EventId} failed in the platform; it will run again")]
        public static partial void ProcessingFailed(ILogger logger, string eventId, Exception exception);
    }
}
