using Lamina.Core.Functions;
using Lamina.Core.Invoke;
using Lamina.Core.Storage;

namespace Lamina.Hosting;

/// <summary>
/// Keeps N initialized environments for every provisioned-concurrency config (desired state in the
/// store) and reports progress back: IN_PROGRESS until all are up, then READY; FAILED with the reason
/// when their Init fails. Pools of versions that lost their config are trimmed to zero.
/// </summary>
internal sealed partial class ProvisionedConcurrencyReconciler(
    IStore store,
    FunctionService functions,
    Invoker invoker,
    EnvironmentManager environments,
    TimeProvider time,
    ILogger<ProvisionedConcurrencyReconciler> logger) : BackgroundService
{
    /// <summary>How often desired and actual state are compared; a new config is picked up within this.</summary>
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var tick = new PeriodicTimer(Interval, time);
        try
        {
            while (await tick.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await ReconcileAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.ReconcileFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var wanted = new Dictionary<VersionKey, int>();
        foreach (var config in await store.Functions.ListAllProvisionedAsync(cancellationToken))
        {
            var target = new FunctionTarget(config.AccountId, config.FunctionName, config.Qualifier);
            var resolved = await functions.ResolveAsync(target, cancellationToken);
            if (!resolved.IsSuccess)
            {
                continue;
            }

            var spec = invoker.SpecFor(resolved.Value.Version);
            wanted[spec.Key] = wanted.GetValueOrDefault(spec.Key) + config.Requested;
            var pool = environments.PoolFor(spec.Key);
            var missing = config.Requested - pool.ProvisionedCount;
            string? failure = null;
            if (missing > 0)
            {
                var started = await Task.WhenAll(Enumerable.Range(0, Math.Min(missing, 16))
                    .Select(_ => pool.AddProvisionedAsync(spec, cancellationToken)));
                if (started.Any(ok => !ok))
                {
                    failure = "FUNCTION_ERROR_INIT_FAILURE";
                }
            }

            var allocated = Math.Min(pool.ProvisionedCount, config.Requested);
            var status = failure is not null ? "FAILED" : allocated >= config.Requested ? "READY" : "IN_PROGRESS";
            if (status != config.Status || allocated != config.Allocated)
            {
                await store.Functions.UpdateProvisionedStatusAsync(config with
                {
                    Allocated = allocated,
                    Status = status,
                    StatusReason = failure is null ? null : "The function's Init failed while allocating provisioned concurrency.",
                }, cancellationToken);
            }
        }

        foreach (var pool in environments.Pools)
        {
            var target = wanted.GetValueOrDefault(pool.Key);
            if (pool.ProvisionedCount > target)
            {
                pool.TrimProvisioned(target);
            }
        }
    }

    private static partial class Log
    {
        // 1400-1499: provisioned concurrency.
        [LoggerMessage(1400, LogLevel.Warning, "Provisioned concurrency reconciliation failed")]
        public static partial void ReconcileFailed(ILogger logger, Exception exception);
    }
}
