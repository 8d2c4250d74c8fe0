using Lamina.Core.Storage;

namespace Lamina.Hosting;

/// <summary>
/// Deletes closed durable executions once their RetentionPeriodInDays has passed (their operations,
/// history and checkpoint replies go with them), and checkpoint replies past the 15-minute ClientToken window.
/// </summary>
internal sealed partial class DurableRetention(IStore store, TimeProvider time, ILogger<DurableRetention> logger) : BackgroundService
{
    /// <summary>Retention is counted in days; a sweep every 10 minutes keeps purges prompt without load.</summary>
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                int purged;
                do
                {
                    var now = time.GetUtcNow();
                    purged = await store.Durable.PurgeAsync(now, now - TimeSpan.FromMinutes(15), 500, stoppingToken);
                    if (purged > 0)
                    {
                        Log.Purged(logger, purged);
                    }
                }
                while (purged == 500);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.Failed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private static partial class Log
    {
        [LoggerMessage(1850, LogLevel.Information, "Purged {Count} durable executions past their retention period")]
        public static partial void Purged(ILogger logger, int count);

        [LoggerMessage(1851, LogLevel.Warning, "Durable retention sweep failed; it runs again in 10 minutes")]
        public static partial void Failed(ILogger logger, Exception exception);
    }
}
