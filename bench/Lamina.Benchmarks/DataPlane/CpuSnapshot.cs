namespace Lamina.Benchmarks.DataPlane;

/// <summary>The schedstat counters of every thread of some processes at one moment.</summary>
/// <remarks>
/// Differences are taken thread by thread. A thread that exits between two snapshots takes its counters with it
/// (the .NET thread pool retires idle threads; a killed environment's runtime is replaced by a new process), so
/// subtracting per-process sums gave negative CPU times; now such a thread's share of the stretch is left out
/// (an undercount), and a thread born during it counts in full.
/// </remarks>
internal sealed class CpuSnapshot
{
    private readonly Dictionary<(int Pid, int Tid), (long RunNs, long WaitNs)> _threads = [];

    public static CpuSnapshot Take(IEnumerable<int> pids)
    {
        var snapshot = new CpuSnapshot();
        foreach (var pid in pids)
        {
            foreach (var (tid, run, wait) in Procfs.ThreadSchedules(pid))
            {
                snapshot._threads[(pid, tid)] = (run, wait);
            }
        }

        return snapshot;
    }

    /// <summary>CPU and run-queue time of the threads alive now, since <paramref name="earlier"/>.</summary>
    public CpuSchedule Since(CpuSnapshot earlier)
    {
        long run = 0, wait = 0;
        foreach (var (key, now) in _threads)
        {
            var then = earlier._threads.GetValueOrDefault(key);
            // A (pid, tid) reused by a new thread reads lower than its predecessor did: count it as new.
            var (runThen, waitThen) = now.RunNs >= then.RunNs && now.WaitNs >= then.WaitNs ? then : (0, 0);
            run += now.RunNs - runThen;
            wait += now.WaitNs - waitThen;
        }

        // 100 ns per TimeSpan tick.
        return new CpuSchedule(TimeSpan.FromTicks(run / 100), TimeSpan.FromTicks(wait / 100));
    }
}
