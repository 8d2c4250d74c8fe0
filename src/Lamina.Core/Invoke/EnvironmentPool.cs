using Lamina.Core.Errors;

namespace Lamina.Core.Invoke;

/// <summary>What <see cref="EnvironmentPool.AcquireAsync"/> got: an environment, or why there is none.</summary>
/// <param name="InitError">The cold start's Init failed: the invocation's error result (a function error, HTTP 200).</param>
/// <param name="Error">The environment could not be created (its variables did not open): an API error.</param>
internal readonly record struct AcquiredEnvironment(IExecutionEnvironment? Environment, InvocationResult? InitError, AwsError? Error = null);

/// <summary>
/// The environments of one function version: idle ones are reused newest-first (the warmest), a miss
/// creates a new one, and environments that can no longer serve are shut down on release.
/// </summary>
internal sealed class EnvironmentPool(VersionKey key, IEnvironmentFactory factory, IEnvironmentSecrets secrets, InvokeOptions options, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly List<IExecutionEnvironment> _idle = [];
    private readonly HashSet<IExecutionEnvironment> _all = [];
    private bool _retired;

    public VersionKey Key => key;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _all.Count;
            }
        }
    }

    public int IdleCount
    {
        get
        {
            lock (_lock)
            {
                return _idle.Count;
            }
        }
    }

    public int ProvisionedCount
    {
        get
        {
            lock (_lock)
            {
                return _all.Count(e => e.Provisioned && e.IsUsable);
            }
        }
    }

    public bool Retired
    {
        get
        {
            lock (_lock)
            {
                return _retired;
            }
        }
    }

    /// <summary>
    /// An environment ready to invoke: an idle one (provisioned first), or a new one after its variables are
    /// opened and its Init ran. A cold start that fails returns the init error or the API error instead.
    /// </summary>
    public async Task<AcquiredEnvironment> AcquireAsync(EnvironmentSpec spec, CancellationToken cancellationToken)
    {
        if (TakeIdle() is { } idle)
        {
            return new AcquiredEnvironment(idle, null);
        }

        // A warm environment keeps its variables; only a new one needs the key (so disabling it stops cold starts).
        var variables = await secrets.OpenAsync(spec, cancellationToken);
        if (!variables.TryGetValue(out var opened, out var error))
        {
            return new AcquiredEnvironment(null, null, error);
        }

        IExecutionEnvironment created;
        lock (_lock)
        {
            if (_retired)
            {
                throw new InvalidOperationException($"Pool {key} is retired.");
            }

            created = factory.Create(spec with { Variables = opened }, "on-demand");
            _all.Add(created);
        }

        var initError = await created.InitAsync(options.InitTimeout, cancellationToken);
        if (initError is not null)
        {
            lock (_lock)
            {
                Discard(created, "init failed");
            }

            return new AcquiredEnvironment(null, initError);
        }

        return new AcquiredEnvironment(created, null);
    }

    /// <summary>An idle environment that can still serve (provisioned first, then the warmest), discarding stale ones.</summary>
    private IExecutionEnvironment? TakeIdle()
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (_retired)
            {
                throw new InvalidOperationException($"Pool {key} is retired.");
            }

            for (var i = _idle.Count - 1; i >= 0; i--)
            {
                var candidate = _idle[i];
                if (candidate.IsUsable && now - candidate.CreatedAt < options.MaxLifetime && candidate.Provisioned)
                {
                    _idle.RemoveAt(i);
                    return candidate;
                }
            }

            for (var i = _idle.Count - 1; i >= 0; i--)
            {
                var candidate = _idle[i];
                _idle.RemoveAt(i);
                if (candidate.IsUsable && now - candidate.CreatedAt < options.MaxLifetime)
                {
                    return candidate;
                }

                Discard(candidate, candidate.IsUsable ? "lifetime" : "unusable");
            }

            return null;
        }
    }

    /// <summary>Returns an environment after an invocation; it is reused if it still can be.</summary>
    public void Release(IExecutionEnvironment environment)
    {
        lock (_lock)
        {
            if (!_retired && environment.IsUsable && time.GetUtcNow() - environment.CreatedAt < options.MaxLifetime)
            {
                _idle.Add(environment);
            }
            else
            {
                Discard(environment, _retired ? "version retired" : environment.IsUsable ? "lifetime" : "unusable");
            }
        }
    }

    /// <summary>Starts a provisioned environment; returns false if its variables did not open or its Init failed.</summary>
    public async Task<bool> AddProvisionedAsync(EnvironmentSpec spec, CancellationToken cancellationToken)
    {
        var variables = await secrets.OpenAsync(spec, cancellationToken);
        if (!variables.TryGetValue(out var opened, out _))
        {
            return false;
        }

        IExecutionEnvironment environment;
        lock (_lock)
        {
            if (_retired)
            {
                return false;
            }

            environment = factory.Create(spec with { Variables = opened }, "provisioned-concurrency");
            _all.Add(environment);
        }

        var error = await environment.InitAsync(options.InitTimeout, cancellationToken);
        lock (_lock)
        {
            if (error is not null || _retired)
            {
                Discard(environment, "provisioned init failed");
                return false;
            }

            _idle.Add(environment);
            return true;
        }
    }

    /// <summary>Shuts down idle provisioned environments beyond <paramref name="target"/>.</summary>
    public void TrimProvisioned(int target)
    {
        lock (_lock)
        {
            var extra = _all.Count(e => e.Provisioned && e.IsUsable) - target;
            for (var i = _idle.Count - 1; i >= 0 && extra > 0; i--)
            {
                if (_idle[i].Provisioned)
                {
                    Discard(_idle[i], "provisioned concurrency lowered");
                    _idle.RemoveAt(i);
                    extra--;
                }
            }
        }
    }

    /// <summary>Shuts down idle environments past the idle timeout (provisioned ones excepted) or past their lifetime.</summary>
    public int Reclaim(DateTimeOffset now)
    {
        var reclaimed = 0;
        lock (_lock)
        {
            for (var i = _idle.Count - 1; i >= 0; i--)
            {
                var environment = _idle[i];
                var expired = now - environment.CreatedAt >= options.MaxLifetime;
                var idle = !environment.Provisioned && now - environment.LastUsedAt >= options.IdleTimeout;
                if (expired || idle || !environment.IsUsable)
                {
                    _idle.RemoveAt(i);
                    Discard(environment, expired ? "lifetime" : "idle");
                    reclaimed++;
                }
            }
        }

        return reclaimed;
    }

    /// <summary>No new work: idle environments go now, busy ones when they are released.</summary>
    public void Retire()
    {
        lock (_lock)
        {
            _retired = true;
            foreach (var environment in _idle)
            {
                Discard(environment, "version retired");
            }

            _idle.Clear();
        }
    }

    public async Task ShutdownAllAsync()
    {
        List<IExecutionEnvironment> all;
        lock (_lock)
        {
            _retired = true;
            all = [.. _all];
            _all.Clear();
            _idle.Clear();
        }

        await Task.WhenAll(all.Select(e => e.ShutdownAsync("server shutdown").AsTask()));
    }

    private void Discard(IExecutionEnvironment environment, string reason)
    {
        _all.Remove(environment);
        // Not inline: the caller may hold the pool's lock or be a new revision's cold start, and killing an
        // environment (freezing its cgroup, signalling every process) took that caller 1.4-15 ms when traced.
        _ = Task.Run(() => environment.ShutdownAsync(reason).AsTask());
    }
}
