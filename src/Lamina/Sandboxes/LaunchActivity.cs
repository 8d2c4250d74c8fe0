namespace Lamina.Sandboxes;

/// <summary>
/// How many environments are starting right now (from preparing the launch to the runtime's first
/// <c>/next</c>, or for an on-demand environment to its first invocation's answer), so that housekeeping can wait for a quiet moment instead of competing with a cold start
/// for the CPU: refilling the spare /tmp volume, network slot and parked launcher pools, and deleting a
/// finished environment's /tmp.
/// </summary>
/// <remarks>
/// Why: traced with strace on one pinned CPU (2026-11-23), a cold start of the provided runtime overlapped
/// the refill its own /tmp volume triggered (mkfs.ext4 about 11 ms, mount about 17 ms) and the teardown of
/// the revision it replaced (umount about 23 ms): about as much as the whole gap between Lamina's cold start
/// and bubblewrap's. The wait is bounded so that a steady stream of starts cannot starve housekeeping:
/// after <see cref="LongestDeferral"/> it runs anyway, and a pool that runs dry is filled on demand.
/// </remarks>
internal sealed class LaunchActivity(TimeProvider time)
{
    /// <summary>Long enough for a typical cold start (100–200 ms here), short enough that pools refill during a burst.</summary>
    public static readonly TimeSpan LongestDeferral = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private int _starting;
    private TaskCompletionSource? _quiet;

    public int Starting
    {
        get
        {
            lock (_lock)
            {
                return _starting;
            }
        }
    }

    /// <summary>Marks one environment as starting until the returned scope is disposed.</summary>
    public Scope Begin()
    {
        lock (_lock)
        {
            _starting++;
        }

        return new Scope(this);
    }

    /// <summary>Completes when no environment is starting, or after <see cref="LongestDeferral"/> at the latest.</summary>
    public async Task WhenQuietAsync()
    {
        Task quiet;
        lock (_lock)
        {
            if (_starting == 0)
            {
                return;
            }

            _quiet ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            quiet = _quiet.Task;
        }

        using var cancel = new CancellationTokenSource();
        var winner = await Task.WhenAny(quiet, Task.Delay(LongestDeferral, time, cancel.Token));
        if (winner == quiet)
        {
            await cancel.CancelAsync();
        }
    }

    private void End()
    {
        TaskCompletionSource? quiet = null;
        lock (_lock)
        {
            if (--_starting == 0)
            {
                quiet = _quiet;
                _quiet = null;
            }
        }

        quiet?.TrySetResult();
    }

    /// <summary>One starting environment; dispose exactly once.</summary>
    internal sealed class Scope(LaunchActivity owner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.End();
            }
        }
    }
}
