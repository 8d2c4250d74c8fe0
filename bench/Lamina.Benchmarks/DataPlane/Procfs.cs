using System.Globalization;

namespace Lamina.Benchmarks.DataPlane;

/// <summary>CPU time and run-queue wait, summed over threads (and processes).</summary>
internal readonly record struct CpuSchedule(TimeSpan Run, TimeSpan Wait)
{
    public static CpuSchedule operator +(CpuSchedule a, CpuSchedule b) => new(a.Run + b.Run, a.Wait + b.Wait);

    public static CpuSchedule operator -(CpuSchedule a, CpuSchedule b) => new(a.Run - b.Run, a.Wait - b.Wait);
}

/// <summary>What /proc says about a process: family, environment, memory, CPU time, cgroup. Misses (a process gone) read as empty.</summary>
internal static class Procfs
{
    public static IEnumerable<int> AllPids() =>
        Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(n => n is { Length: > 0 } && char.IsAsciiDigit(n[0]))
            .Select(n => int.Parse(n!, CultureInfo.InvariantCulture));

    /// <summary>Fields of /proc/PID/stat after the command name (which may hold spaces): [0] is the state, [1] the parent.</summary>
    private static string[] StatFields(int pid)
    {
        var stat = TryRead($"/proc/{pid}/stat");
        var close = stat?.LastIndexOf(')') ?? -1;
        return close < 0 ? [] : stat![(close + 2)..].Split(' ');
    }

    public static int ParentOf(int pid) =>
        StatFields(pid) is { Length: > 1 } fields ? int.Parse(fields[1], CultureInfo.InvariantCulture) : 0;

    public static bool DescendsFrom(int pid, int ancestor)
    {
        for (var p = ParentOf(pid); p > 1; p = ParentOf(p))
        {
            if (p == ancestor)
            {
                return true;
            }
        }

        return false;
    }

    public static string Comm(int pid) => TryRead($"/proc/{pid}/comm")?.Trim() ?? "";

    public static string? Variable(int pid, string name)
    {
        var environ = TryRead($"/proc/{pid}/environ");
        if (environ is null)
        {
            return null;
        }

        var prefix = name + "=";
        return environ.Split('\0').FirstOrDefault(e => e.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..];
    }

    /// <summary>Resident, proportional (shared pages split among their users) and anonymous memory, in bytes.</summary>
    public static (long Rss, long Pss, long Anonymous) Memory(int pid)
    {
        long rss = 0, pss = 0, anonymous = 0;
        foreach (var line in (TryRead($"/proc/{pid}/smaps_rollup") ?? "").Split('\n'))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var kb))
            {
                switch (parts[0])
                {
                    case "Rss:":
                        rss = kb * 1024;
                        break;
                    case "Pss:":
                        pss = kb * 1024;
                        break;
                    case "Anonymous:":
                        anonymous = kb * 1024;
                        break;
                }
            }
        }

        return (rss, pss, anonymous);
    }

    /// <summary>
    /// Per thread of the process, nanoseconds it ran on a CPU and waited on a run queue (ready but not running),
    /// from /proc/PID/task/TID/schedstat: the wait is what CPU contention costs it.
    /// </summary>
    public static IEnumerable<(int Tid, long RunNs, long WaitNs)> ThreadSchedules(int pid)
    {
        var tasks = new List<(int, long, long)>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var fields = (TryRead(Path.Combine(task, "schedstat")) ?? "").Split(' ');
                if (int.TryParse(Path.GetFileName(task), NumberStyles.Integer, CultureInfo.InvariantCulture, out var tid) && fields.Length >= 2 &&
                    long.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var run) &&
                    long.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var wait))
                {
                    tasks.Add((tid, run, wait));
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
            // Gone.
        }

        return tasks;
    }

    /// <summary>The directory of the process's cgroup for <paramref name="controller"/> (its v1 hierarchy, or the v2 unified one).</summary>
    public static string? CgroupDir(int pid, string controller)
    {
        foreach (var line in (TryRead($"/proc/{pid}/cgroup") ?? "").Split('\n'))
        {
            var parts = line.Split(':', 3);
            if (parts.Length == 3 && parts[1].Split(',').Contains(controller))
            {
                return $"/sys/fs/cgroup/{controller}{parts[2]}";
            }

            if (parts.Length == 3 && parts[0] == "0" && parts[1].Length == 0 && CgroupMemory.IsUnified)
            {
                return "/sys/fs/cgroup" + parts[2];
            }
        }

        return null;
    }

    internal static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
