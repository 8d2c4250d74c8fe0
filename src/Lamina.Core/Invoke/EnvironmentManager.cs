using System.Collections.Concurrent;

namespace Lamina.Core.Invoke;

/// <summary>
/// All environment pools of this node, one per function version (and revision of $LATEST). Finding a
/// pool for a new revision retires the older revision's pool, so an updated function never runs old
/// configuration in a new invocation.
/// </summary>
internal sealed class EnvironmentManager(IEnvironmentFactory factory, IEnvironmentSecrets secrets, InvokeOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<VersionKey, EnvironmentPool> _pools = new();

    public InvokeOptions Options => options;

    public EnvironmentPool PoolFor(VersionKey key)
    {
        if (_pools.TryGetValue(key, out var pool) && !pool.Retired)
        {
            return pool;
        }

        var created = _pools.AddOrUpdate(key,
            k => new EnvironmentPool(k, factory, secrets, options, time),
            (k, existing) => existing.Retired ? new EnvironmentPool(k, factory, secrets, options, time) : existing);
        foreach (var (other, stale) in _pools)
        {
            if (other != key && other.AccountId == key.AccountId && other.FunctionName == key.FunctionName && other.Version == key.Version)
            {
                stale.Retire();
                _pools.TryRemove(new KeyValuePair<VersionKey, EnvironmentPool>(other, stale));
            }
        }

        return created;
    }

    /// <summary>Retires every pool of a function (deleted) or of one of its versions.</summary>
    public void RetireFunction(string accountId, string functionName, string? version = null)
    {
        foreach (var (key, pool) in _pools)
        {
            if (key.AccountId == accountId && key.FunctionName == functionName && (version is null || key.Version == version))
            {
                pool.Retire();
                _pools.TryRemove(new KeyValuePair<VersionKey, EnvironmentPool>(key, pool));
            }
        }
    }

    /// <summary>Retires a version's pools of every revision but <paramref name="current"/> (an updated $LATEST).</summary>
    public void RetireOtherRevisions(string accountId, string functionName, string version, string current)
    {
        foreach (var (key, pool) in _pools)
        {
            if (key.AccountId == accountId && key.FunctionName == functionName && key.Version == version && key.Revision != current)
            {
                pool.Retire();
                _pools.TryRemove(new KeyValuePair<VersionKey, EnvironmentPool>(key, pool));
            }
        }
    }

    public IReadOnlyCollection<EnvironmentPool> Pools => [.. _pools.Values];

    /// <summary>Reclaims idle and expired environments everywhere; drops empty retired pools.</summary>
    public int Reclaim()
    {
        var now = time.GetUtcNow();
        var total = 0;
        foreach (var pool in _pools.Values)
        {
            total += pool.Reclaim(now);
        }

        return total;
    }

    public int EnvironmentCount => _pools.Values.Sum(p => p.Count);

    public async Task ShutdownAllAsync()
    {
        await Task.WhenAll(_pools.Values.Select(p => p.ShutdownAllAsync()));
        _pools.Clear();
    }
}
