namespace Lamina.Core.Invoke;

/// <summary>
/// Counts concurrent executions per account and function and admits or throttles each invocation:
/// a function with reserved concurrency R runs at most R at once (R = 0 throttles everything); the
/// others share the account limit minus every reservation. One authoritative count per node, as
/// Lambda's Counting Service is one per region.
/// </summary>
internal sealed class ConcurrencyLedger
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, AccountCounts> _accounts = new(StringComparer.Ordinal);

    private sealed class AccountCounts
    {
        public int Unreserved;
        public readonly Dictionary<string, int> PerFunction = new(StringComparer.Ordinal);
    }

    /// <summary>A held slot; disposing it releases the slot exactly once.</summary>
    internal sealed class Lease(ConcurrencyLedger ledger, string account, string function, bool reserved) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                ledger.Release(account, function, reserved);
            }
        }
    }

    /// <summary>Takes a slot, or returns null and the AWS throttle reason.</summary>
    /// <param name="reserved">The function's reserved concurrency, or null when it draws on the shared pool.</param>
    /// <param name="unreservedCapacity">Account limit minus all reservations.</param>
    public Lease? TryAcquire(string account, string function, int? reserved, int unreservedCapacity, out string? throttleReason)
    {
        lock (_lock)
        {
            if (!_accounts.TryGetValue(account, out var counts))
            {
                counts = new AccountCounts();
                _accounts[account] = counts;
            }

            counts.PerFunction.TryGetValue(function, out var running);
            if (reserved is { } limit)
            {
                if (running >= limit)
                {
                    throttleReason = "ReservedFunctionConcurrentInvocationLimitExceeded";
                    return null;
                }
            }
            else if (counts.Unreserved >= unreservedCapacity)
            {
                throttleReason = "ConcurrentInvocationLimitExceeded";
                return null;
            }

            counts.PerFunction[function] = running + 1;
            if (reserved is null)
            {
                counts.Unreserved++;
            }

            throttleReason = null;
            return new Lease(this, account, function, reserved is not null);
        }
    }

    public int Running(string account, string function)
    {
        lock (_lock)
        {
            return _accounts.TryGetValue(account, out var counts) && counts.PerFunction.TryGetValue(function, out var n) ? n : 0;
        }
    }

    private void Release(string account, string function, bool reserved)
    {
        lock (_lock)
        {
            var counts = _accounts[account];
            var left = counts.PerFunction[function] - 1;
            if (left == 0)
            {
                counts.PerFunction.Remove(function);
            }
            else
            {
                counts.PerFunction[function] = left;
            }

            if (!reserved)
            {
                counts.Unreserved--;
            }
        }
    }
}
