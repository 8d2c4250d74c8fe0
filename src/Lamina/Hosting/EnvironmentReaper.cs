using Lamina.Core.Invoke;
using Lamina.Core.Storage;

namespace Lamina.Hosting;

/// <summary>Reclaims idle and expired environments, and removes expired temporary credentials.</summary>
internal sealed partial class EnvironmentReaper(EnvironmentManager environments, IStore store, InvokeOptions options, TimeProvider time,
    ILogger<EnvironmentReaper> logger) : BackgroundService
{
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

                // Expired keys fail verification anyway; deleting them once a minute keeps the table small.
                if (++sweeps % Math.Max(1, (int)(TimeSpan.FromMinutes(1) / options.ReclaimInterval)) == 0)
                {
                    await store.Accounts.PurgeExpiredKeysAsync(time.GetUtcNow(), stoppingToken);
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
