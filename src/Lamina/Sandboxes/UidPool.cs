using System.Collections.Concurrent;

namespace Lamina.Sandboxes;

/// <summary>
/// Host user ids for environments: each environment runs as its own unprivileged uid (from a range
/// no login uses), so even outside its namespaces it could not signal or read another's processes.
/// A uid returns to the pool only after every process of its environment is dead.
/// </summary>
internal sealed class UidPool
{
    /// <summary>Far above any login or system uid (Debian allots 1000-59999 to users).</summary>
    public const int Base = 1_300_000_000;

    public const int Size = 1_000_000;

    private readonly ConcurrentQueue<int> _free = new();
    private readonly int _offset;
    private int _next;

    public UidPool()
    {
        // Distinct servers on one host start at different points of the range.
        _offset = (Environment.ProcessId % 1000) * 1000;
    }

    public int Acquire()
    {
        if (_free.TryDequeue(out var uid))
        {
            return uid;
        }

        var n = Interlocked.Increment(ref _next);
        return Base + ((_offset + n) % Size);
    }

    public void Release(int uid) => _free.Enqueue(uid);
}
