using Lamina.Core.Invoke;
using Lamina.Core.Storage;

namespace Lamina.Hosting;

/// <summary>Reclaims idle and expired environments, and removes expired temporary credentials.</summary>
internal sealed partial class EnvironmentReaper(EnvironmentManager environments, IStore store, InvokeOptions options, TimeProvider time,
    ILogger<EnvironmentReaper> logger) : BackgroundService
{
    /// <summary>How long an expired temporary key is kept so that it is still answered as expired.</summary>
    public static readonly TimeSpan ExpiredKeyRetention = TimeSpan.FromDays(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var tick = new PeriodicTimer(options.ReclaimInterval, time);
        var sweeps = 0;
        try
        {
            while (await tick.WaitForNextTickAsync(stoppingToken))
            {
                var reclaimed = environments.Reclaim();
                if (reclaimed > 0)
                {
                    Log.Reclaimed(logger, reclaimed);
                }

                // Once a minute, delete temporary keys that expired over a day ago. Not sooner: a deleted key is an
                // unknown key (InvalidClientTokenId / UnrecognizedClientException), while clients holding an
                // expired one must get ExpiredToken / ExpiredTokenException, which SDKs act on by refreshing.
                if (++sweeps % Math.Max(1, (int)(TimeSpan.FromMinutes(1) / options.ReclaimInterval)) == 0)
                {
                    await store.Accounts.PurgeExpiredKeysAsync(time.GetUtcNow() - ExpiredKeyRetention, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static partial class Log
    {
        // 1300-1399: environment lifecycle.
        [LoggerMessage(1300, LogLevel.Debug, "Reclaimed {Count} idle or expired environments")]
        public static partial void Reclaimed(ILogger logger, int count);
    }
}
