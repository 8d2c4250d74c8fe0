using Lamina.Core.Audit;

namespace Lamina.Hosting;

/// <summary>
/// Runs the audit sealer on its clock: log files every <see cref="AuditOptions.LogFileInterval"/>, digests (and the
/// LookupEvents retention purge) every <see cref="AuditOptions.DigestInterval"/>. The shutdown digest is written by
/// <see cref="LaminaServer.DisposeAsync"/> once the listener has stopped, so it covers every answered call.
/// </summary>
internal sealed partial class AuditSealerService(AuditSealer sealer, AuditOptions options, TimeProvider time, ILogger<AuditSealerService> logger)
    : BackgroundService
{
    private PeriodicTimer? _logTimer;
    private PeriodicTimer? _digestTimer;

    /// <summary>
    /// The timers start with the service, not when ExecuteAsync gets around to running (it runs on a pool
    /// thread), so the first period is measured from start; tests on a fake clock rely on that.
    /// </summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _logTimer = new PeriodicTimer(options.LogFileInterval, time);
        _digestTimer = new PeriodicTimer(options.DigestInterval, time);
        return base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(
            EveryAsync(_logTimer!, async ct =>
            {
                var files = await sealer.SealAsync(ct);
                Log.Sealed(logger, files);
            }, stoppingToken),
            EveryAsync(_digestTimer!, async ct =>
            {
                var digests = await sealer.DigestAsync(ct);
                var purged = await sealer.PurgeAsync(ct);
                Log.Digested(logger, digests, purged);
            }, stoppingToken));

    private async Task EveryAsync(PeriodicTimer timer, Func<CancellationToken, Task> work, CancellationToken stoppingToken)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await work(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The events stay in the store, unsealed; the next tick tries again.
                    Log.SealFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override void Dispose()
    {
        _logTimer?.Dispose();
        _digestTimer?.Dispose();
        base.Dispose();
    }

    private static partial class Log
    {
        // 2600-2699: audit trail (2600 is AuditRecorder's).
        [LoggerMessage(2601, LogLevel.Debug, "Sealed {Count} audit log files")]
        public static partial void Sealed(ILogger logger, int count);

        [LoggerMessage(2602, LogLevel.Debug, "Wrote {Count} audit digests; purged {Purged} events past their LookupEvents retention")]
        public static partial void Digested(ILogger logger, int count, int purged);

        [LoggerMessage(2603, LogLevel.Error, "Sealing the audit trail failed; will retry")]
        public static partial void SealFailed(ILogger logger, Exception exception);
    }
}
