namespace Lamina.Benchmarks.ControlPlane;

/// <summary>
/// Pre-signed copies of one request for the load workers, re-signed in the background long before
/// they could expire, so no worker ever signs on the measured path.
/// </summary>
internal sealed class SignedRequestPool : IAsyncDisposable
{
    /// <summary>Re-sign at 2 minutes: well inside the 5-minute skew window SigV4 servers allow.</summary>
    public static readonly TimeSpan ResignAfter = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(10);

    private readonly Func<DateTimeOffset, SignedRequest> _sign;
    private readonly int _size;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _refresher;

    /// <summary>Replaced whole (never mutated), so a worker always reads a complete, valid set.</summary>
    private SignedRequest[] _requests;

    private int _resigns;

    public SignedRequestPool(int size, Func<DateTimeOffset, SignedRequest> sign)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        _sign = sign;
        _size = size;
        _requests = SignAll();
        _refresher = RefreshAsync(_stop.Token);
    }

    /// <summary>How many times the whole pool was re-signed.</summary>
    public int Resigns => Volatile.Read(ref _resigns);

    public SignedRequest Get(long index)
    {
        var requests = Volatile.Read(ref _requests);
        return requests[(int)(index % requests.Length)];
    }

    private SignedRequest[] SignAll()
    {
        var now = DateTimeOffset.UtcNow;
        var requests = new SignedRequest[_size];
        for (var i = 0; i < requests.Length; i++)
        {
            requests[i] = _sign(now);
        }

        return requests;
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(CheckEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (DateTimeOffset.UtcNow - Volatile.Read(ref _requests)[0].SignedAt >= ResignAfter)
                {
                    Volatile.Write(ref _requests, SignAll());
                    Interlocked.Increment(ref _resigns);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _refresher;
        _stop.Dispose();
    }
}
