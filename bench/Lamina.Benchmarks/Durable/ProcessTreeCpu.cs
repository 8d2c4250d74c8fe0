using System.Globalization;

namespace Lamina.Benchmarks.Durable;

/// <summary>
/// CPU time of the processes below a root process (Lamina's function sandboxes: bwrap, then node), read
/// from /proc. Processes that exited between two readings drop out, so read around work that keeps its
/// environments alive.
/// </summary>
internal static class ProcessTreeCpu
{
    /// <summary>User plus system time of every descendant of <paramref name="rootPid"/> named <paramref name="comm"/>.</summary>
    public static TimeSpan Of(int rootPid, string comm)
    {
        var parents = new Dictionary<int, (int Parent, string Comm, long Ticks)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var open = stat.IndexOf('(', StringComparison.Ordinal);
                var close = stat.LastIndexOf(')');
                // After "pid (comm) ": state ppid ... utime is field 14, stime 15 (1-based over the whole line).
                var rest = stat[(close + 2)..].Split(' ');
                parents[pid] = (int.Parse(rest[1], CultureInfo.InvariantCulture), stat[(open + 1)..close],
                    long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture));
            }
            catch (IOException)
            {
                // Exited while listing.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        long ticks = 0;
        foreach (var (pid, info) in parents)
        {
            if (info.Comm != comm)
            {
                continue;
            }

            for (var up = info.Parent; up > 1 && parents.TryGetValue(up, out var parent); up = parent.Parent)
            {
                if (up == rootPid)
                {
                    ticks += info.Ticks;
                    break;
                }
            }
        }

        // Linux reports these in clock ticks of USER_HZ, 100 per second on every mainstream build.
        return TimeSpan.FromMilliseconds(ticks * 10);
    }
}
