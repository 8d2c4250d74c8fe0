using System.Globalization;

namespace Lamina.Benchmarks.Async;

/// <summary>
/// How busy a set of CPUs was between two readings of /proc/stat: everything that ran there (Lamina, the
/// function's environments, other tenants of a shared machine), where a process's CPU time sees only itself.
/// </summary>
internal sealed class CpuUsage
{
    private readonly int[] _cpus;
    private readonly (long Busy, long Total)[] _start;

    private CpuUsage(int[] cpus)
    {
        _cpus = cpus;
        _start = Read(cpus);
    }

    /// <summary>Starts measuring the CPUs of a taskset list such as "1" or "0,2-3" (empty: every CPU).</summary>
    public static CpuUsage Start(string cpuList) => new(Parse(cpuList));

    /// <summary>Busy share since the start, averaged over the CPUs (1.0 = all of them busy all the time).</summary>
    public double BusyShare()
    {
        var now = Read(_cpus);
        long busy = 0, total = 0;
        for (var i = 0; i < now.Length; i++)
        {
            busy += now[i].Busy - _start[i].Busy;
            total += now[i].Total - _start[i].Total;
        }

        return total == 0 ? 0 : (double)busy / total;
    }

    private static (long Busy, long Total)[] Read(int[] cpus)
    {
        var lines = File.ReadAllLines("/proc/stat");
        return [.. cpus.Select(cpu =>
        {
            var prefix = cpu < 0 ? "cpu " : $"cpu{cpu.ToString(CultureInfo.InvariantCulture)} ";
            // user nice system idle iowait irq softirq steal ...: idle and iowait are the time nothing ran.
            var fields = lines.First(l => l.StartsWith(prefix, StringComparison.Ordinal))
                .Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
                .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            var total = fields.Sum();
            return (total - fields[3] - fields[4], total);
        })];
    }

    private static int[] Parse(string cpuList)
    {
        if (string.IsNullOrWhiteSpace(cpuList))
        {
            return [-1];
        }

        var cpus = new List<int>();
        foreach (var part in cpuList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var range = part.Split('-');
            var first = int.Parse(range[0], CultureInfo.InvariantCulture);
            var last = range.Length > 1 ? int.Parse(range[1], CultureInfo.InvariantCulture) : first;
            for (var cpu = first; cpu <= last; cpu++)
            {
                cpus.Add(cpu);
            }
        }

        return [.. cpus];
    }
}
