using System.Globalization;

namespace Lamina.Sandboxes;

/// <summary>Resource limits of one environment.</summary>
/// <param name="MemoryBytes">Hard memory limit (the function's MemorySize).</param>
/// <param name="CpuQuotaMicros">CFS quota per <paramref name="CpuPeriodMicros"/>; AWS gives one vCPU per 1,769 MB.</param>
/// <param name="MaxPids">Processes and threads (AWS: 1,024).</param>
/// <param name="CpuWeight">
/// cgroup v2 <c>cpu.weight</c> (1–10,000; 100 is a default task's): one default share per 1,769 MB, like the quota.
/// </param>
internal sealed record ResourceLimits(long MemoryBytes, long CpuQuotaMicros, long CpuPeriodMicros, int MaxPids, int CpuWeight)
{
    public const int CpuPeriod = 100_000;

    private const int MbPerVcpu = 1769;

    /// <summary>Processes and threads of one environment, as Lambda allows.</summary>
    public const int LambdaMaxPids = 1024;

    /// <summary>
    /// Lambda allots one vCPU per 1,769 MB of memory (128 MB ≈ 7.2% of a CPU, 10,240 MB ≈ 5.79 vCPUs). The weight
    /// follows the same ratio: the quota only caps a hog, while the weight decides who runs first when environments
    /// share a CPU, so without it four 128 MB hogs compete with a 1,769 MB neighbour as equals (docs/benchmarks.md).
    /// </summary>
    public static ResourceLimits ForMemory(int memoryMb) =>
        new((long)memoryMb * 1024 * 1024, Math.Max(1000, (long)CpuPeriod * memoryMb / MbPerVcpu), CpuPeriod, LambdaMaxPids,
            (int)Math.Clamp(Math.Round(100.0 * memoryMb / MbPerVcpu), 1, 10_000));

    /// <summary>The same weight as cgroup v1 <c>cpu.shares</c> (1,024 is a default task's; at least 2).</summary>
    public long CpuShares => Math.Max(2, CpuWeight * 1024L / 100);

    /// <summary>
    /// CPU during Init: two vCPUs whatever the memory size, as Lambda's init phase is observed to get;
    /// otherwise a 128 MB function would need seconds of wall time to start a runtime on 7% of a CPU.
    /// </summary>
    public const long InitCpuQuota = 2 * CpuPeriod;
}

/// <summary>The control group of one environment: limits, usage, and killing everything in it.</summary>
internal interface ICgroup
{
    /// <summary>Files a process writes its pid into to join this cgroup (one per v1 hierarchy).</summary>
    IReadOnlyList<string> ProcsFiles { get; }

    long PeakMemoryBytes();

    /// <summary>How many times the kernel OOM-killed in this cgroup.</summary>
    long OomKills();

    /// <summary>Times the CPU quota throttled the group (evidence the CPU limit holds).</summary>
    long ThrottledPeriods();

    /// <summary>Sets the memory, pids and CPU limits (a group parked ahead of demand gets them when an environment takes it).</summary>
    void Apply(ResourceLimits limits);

    /// <summary>Sets the CPU quota per period; null lifts it (no limit).</summary>
    void SetCpuQuota(long? quotaMicros);

    /// <summary>SIGKILLs every process in the group and waits until it is empty.</summary>
    Task KillAllAsync();

    /// <summary>Kills everything and removes the group.</summary>
    Task DestroyAsync();
}

/// <summary>Creates per-environment cgroups on cgroup v2, v1, or hybrid hosts (v1 controllers beside a v2 mount).</summary>
internal abstract class CgroupRoot
{
    public abstract string Describe { get; }

    /// <param name="limits">Null leaves the group unlimited until <see cref="ICgroup.Apply"/> (a launcher parked ahead of demand).</param>
    public abstract ICgroup Create(string name, ResourceLimits? limits);

    /// <summary>Finds the controllers this host offers, or returns null with the reason.</summary>
    public static CgroupRoot? Detect(string instance, out string? problem)
    {
        problem = null;
        const string Root = "/sys/fs/cgroup";
        try
        {
            if (File.Exists(Path.Combine(Root, "cgroup.controllers")))
            {
                var controllers = File.ReadAllText(Path.Combine(Root, "cgroup.controllers")).Split(' ', StringSplitOptions.TrimEntries);
                foreach (var needed in new[] { "memory", "pids", "cpu" })
                {
                    if (!controllers.Contains(needed))
                    {
                        problem = $"cgroup v2 controller '{needed}' is not available in {Root}/cgroup.controllers.";
                        return null;
                    }
                }

                return CgroupV2.Create(Root, instance);
            }

            if (Directory.Exists(Path.Combine(Root, "memory")) && Directory.Exists(Path.Combine(Root, "pids")) &&
                Directory.Exists(Path.Combine(Root, "cpu")))
            {
                return CgroupV1.Create(Root, instance);
            }

            problem = $"no usable cgroup hierarchy under {Root} (need memory, pids and cpu controllers).";
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot create cgroups under {Root}: {ex.Message} (run Lamina as root, or delegate a cgroup subtree to its user).";
            return null;
        }
    }

    protected static void Write(string path, string value) => File.WriteAllText(path, value);

    /// <summary>
    /// A write on the teardown path: a group whose directory is already gone has no members left to act on
    /// (seen in CI on a v1 freezer hierarchy, where the group vanished before shutdown reached it).
    /// </summary>
    protected static void WriteIfPresent(string path, string value)
    {
        try
        {
            File.WriteAllText(path, value);
        }
        catch (Exception ex) when (ex is DirectoryNotFoundException or FileNotFoundException)
        {
        }
    }

    protected static string? Read(string path) => File.Exists(path) ? File.ReadAllText(path) : null;

    /// <summary>
    /// A cgroup value file kept open and read with pread at offset 0. Why: the peak-memory read every REPORT line needs was an
    /// open, a buffered read and a close of a cgroupfs file, about 3% of the server's CPU under warm invokes (perf, 2026-11-23).
    /// </summary>
    protected sealed class OpenValue : IDisposable
    {
        private readonly Microsoft.Win32.SafeHandles.SafeFileHandle? _handle;

        public OpenValue(string path)
        {
            try
            {
                _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Absent on this kernel (memory.peak before Linux 5.19): Read gives 0 and the caller falls back.
            }
        }

        public long Read()
        {
            if (_handle is null || _handle.IsClosed)
            {
                return 0;
            }

            Span<byte> buffer = stackalloc byte[32];
            try
            {
                var read = RandomAccess.Read(_handle, buffer, 0);
                return System.Buffers.Text.Utf8Parser.TryParse(buffer[..read], out long value, out _) ? value : 0;
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                return 0;
            }
        }

        public void Dispose() => _handle?.Dispose();
    }

    protected static long ReadLong(string path) =>
        long.TryParse(Read(path)?.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;

    protected static long ReadKey(string path, string key)
    {
        foreach (var line in (Read(path) ?? "").Split('\n'))
        {
            var parts = line.Split(' ', 2);
            if (parts.Length == 2 && parts[0] == key && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
            {
                return v;
            }
        }

        return 0;
    }

    protected static async Task KillAndWaitAsync(IEnumerable<string> procsFiles, Action? beforeKill = null, Action? afterKill = null)
    {
        beforeKill?.Invoke();
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var any = false;
            foreach (var file in procsFiles)
            {
                foreach (var line in (Read(file) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (int.TryParse(line, NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid))
                    {
                        any = true;
                        try
                        {
                            System.Diagnostics.Process.GetProcessById(pid).Kill();
                        }
                        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                        {
                            // Already gone.
                        }
                    }
                }
            }

            if (attempt == 0)
            {
                afterKill?.Invoke();
            }

            if (!any)
            {
                return;
            }

            await Task.Delay(attempt < 20 ? 5 : 25);
        }
    }

    /// <summary>
    /// Removes the groups of servers that no longer run (killed with SIGKILL, they never reached their own
    /// cleanup; a test host had left 373 such bases on one machine). Instance names are
    /// "{pid in base 36}-{random}"; other names and live servers are left alone, and only empty groups
    /// can be removed, so a group that still has members stays.
    /// </summary>
    protected static void SweepStale(string parent)
    {
        foreach (var instance in Directory.EnumerateDirectories(parent))
        {
            var name = Path.GetFileName(instance);
            var dash = name.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0 || !Base36.TryDecode(name[..dash], out var pid) || ServerProcesses.IsRunning(pid))
            {
                continue;
            }

            try
            {
                foreach (var group in Directory.EnumerateDirectories(instance))
                {
                    Directory.Delete(group);
                }

                Directory.Delete(instance);
            }
            catch (IOException)
            {
                // Still has members (EBUSY) or was swept by another server starting at the same moment.
            }
        }
    }

    protected static void RemoveDirectory(string path)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path);
                }

                return;
            }
            catch (IOException)
            {
                // EBUSY until the last task has left; the kill loop above makes that brief.
                Thread.Sleep(10);
            }
        }
    }
}

/// <summary>Unified hierarchy: one directory, <c>cgroup.kill</c> ends everything in one write.</summary>
internal sealed class CgroupV2 : CgroupRoot
{
    private readonly string _base;

    private CgroupV2(string @base) => _base = @base;

    public override string Describe => $"cgroup v2 at {_base}";

    public static CgroupV2 Create(string root, string instance)
    {
        var parent = Path.Combine(root, "lamina");
        Directory.CreateDirectory(parent);
        TryWrite(Path.Combine(root, "cgroup.subtree_control"), "+memory +pids +cpu");
        TryWrite(Path.Combine(parent, "cgroup.subtree_control"), "+memory +pids +cpu");
        SweepStale(parent);
        var @base = Path.Combine(parent, instance);
        Directory.CreateDirectory(@base);
        TryWrite(Path.Combine(@base, "cgroup.subtree_control"), "+memory +pids +cpu");
        return new CgroupV2(@base);
    }

    private static void TryWrite(string path, string value)
    {
        try
        {
            File.WriteAllText(path, value);
        }
        catch (IOException)
        {
            // Already enabled, or not delegable here; missing controllers show up when limits are written.
        }
    }

    public override ICgroup Create(string name, ResourceLimits? limits)
    {
        var dir = Path.Combine(_base, name);
        Directory.CreateDirectory(dir);
        var group = new Group(dir);
        if (limits is not null)
        {
            group.Apply(limits);
        }

        return group;
    }

    private sealed class Group(string dir) : ICgroup, IDisposable
    {
        private readonly OpenValue _peak = new(Path.Combine(dir, "memory.peak"));

        /// <summary>Closes the kept-open value files; <see cref="DestroyAsync"/> does it before removing the group.</summary>
        public void Dispose() => _peak.Dispose();

        public IReadOnlyList<string> ProcsFiles { get; } = [Path.Combine(dir, "cgroup.procs")];

        public void Apply(ResourceLimits limits)
        {
            Write(Path.Combine(dir, "memory.max"), limits.MemoryBytes.ToString(CultureInfo.InvariantCulture));
            if (File.Exists(Path.Combine(dir, "memory.swap.max")))
            {
                Write(Path.Combine(dir, "memory.swap.max"), "0");
            }

            Write(Path.Combine(dir, "pids.max"), limits.MaxPids.ToString(CultureInfo.InvariantCulture));
            Write(Path.Combine(dir, "cpu.max"), $"{limits.CpuQuotaMicros} {limits.CpuPeriodMicros}");
            Write(Path.Combine(dir, "cpu.weight"), limits.CpuWeight.ToString(CultureInfo.InvariantCulture));
        }

        public long PeakMemoryBytes() => _peak.Read() is > 0 and var peak ? peak : ReadLong(Path.Combine(dir, "memory.current"));

        public long OomKills() => ReadKey(Path.Combine(dir, "memory.events"), "oom_kill");

        public long ThrottledPeriods() => ReadKey(Path.Combine(dir, "cpu.stat"), "nr_throttled");

        public void SetCpuQuota(long? quotaMicros) =>
            Write(Path.Combine(dir, "cpu.max"), quotaMicros is { } q ? $"{q} {ResourceLimits.CpuPeriod}" : $"max {ResourceLimits.CpuPeriod}");

        public Task KillAllAsync() => KillAndWaitAsync(ProcsFiles, () =>
        {
            if (File.Exists(Path.Combine(dir, "cgroup.kill")))
            {
                WriteIfPresent(Path.Combine(dir, "cgroup.kill"), "1");
            }
        });

        public async Task DestroyAsync()
        {
            await KillAllAsync();
            Dispose();
            RemoveDirectory(dir);
        }
    }
}

/// <summary>
/// Legacy or hybrid hierarchies (reference/security.md section 1: these hosts mount v1 memory, pids,
/// cpu and freezer beside a v2 mount that owns only hugetlb): one directory per controller.
/// </summary>
internal sealed class CgroupV1 : CgroupRoot
{
    private static readonly string[] Controllers = ["memory", "pids", "cpu", "freezer"];
    private readonly Dictionary<string, string> _bases;

    private CgroupV1(Dictionary<string, string> bases) => _bases = bases;

    public override string Describe => $"cgroup v1 ({string.Join(", ", _bases.Keys)})";

    public static CgroupV1 Create(string root, string instance)
    {
        var bases = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var controller in Controllers)
        {
            var mount = Path.Combine(root, controller);
            if (!Directory.Exists(mount))
            {
                continue;
            }

            Directory.CreateDirectory(Path.Combine(mount, "lamina"));
            SweepStale(Path.Combine(mount, "lamina"));
            var @base = Path.Combine(mount, "lamina", instance);
            Directory.CreateDirectory(@base);
            bases[controller] = @base;
        }

        return new CgroupV1(bases);
    }

    public override ICgroup Create(string name, ResourceLimits? limits)
    {
        var dirs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (controller, @base) in _bases)
        {
            var dir = Path.Combine(@base, name);
            Directory.CreateDirectory(dir);
            dirs[controller] = dir;
        }

        var group = new Group(dirs);
        if (limits is not null)
        {
            group.Apply(limits);
        }

        return group;
    }

    private sealed class Group(Dictionary<string, string> dirs) : ICgroup, IDisposable
    {
        private readonly OpenValue _peak = new(Path.Combine(dirs["memory"], "memory.max_usage_in_bytes"));

        /// <summary>Closes the kept-open value files; <see cref="DestroyAsync"/> does it before removing the group.</summary>
        public void Dispose() => _peak.Dispose();

        public IReadOnlyList<string> ProcsFiles { get; } = dirs.Values.Select(d => Path.Combine(d, "cgroup.procs")).ToList();

        public void Apply(ResourceLimits limits)
        {
            var memory = dirs["memory"];
            var memsw = Path.Combine(memory, "memory.memsw.limit_in_bytes");
            var withSwap = File.Exists(memsw);
            if (withSwap)
            {
                // memory+swap may never be below memory: lift it first, so any earlier limit does not refuse the new one.
                Write(memsw, "-1");
            }

            Write(Path.Combine(memory, "memory.limit_in_bytes"), limits.MemoryBytes.ToString(CultureInfo.InvariantCulture));
            if (withSwap)
            {
                // With swap accounting on, cap memory+swap too, or the limit leaks into swap.
                Write(memsw, limits.MemoryBytes.ToString(CultureInfo.InvariantCulture));
            }

            // The peak so far was the parked launcher's shell: Max Memory Used starts from the environment's own.
            WriteIfPresent(Path.Combine(memory, "memory.max_usage_in_bytes"), "0");
            Write(Path.Combine(dirs["pids"], "pids.max"), limits.MaxPids.ToString(CultureInfo.InvariantCulture));
            Write(Path.Combine(dirs["cpu"], "cpu.cfs_period_us"), limits.CpuPeriodMicros.ToString(CultureInfo.InvariantCulture));
            Write(Path.Combine(dirs["cpu"], "cpu.cfs_quota_us"), limits.CpuQuotaMicros.ToString(CultureInfo.InvariantCulture));
            Write(Path.Combine(dirs["cpu"], "cpu.shares"), limits.CpuShares.ToString(CultureInfo.InvariantCulture));
        }

        public long PeakMemoryBytes() => _peak.Read();

        public long OomKills() => ReadKey(Path.Combine(dirs["memory"], "memory.oom_control"), "oom_kill");

        public long ThrottledPeriods() => ReadKey(Path.Combine(dirs["cpu"], "cpu.stat"), "nr_throttled");

        public void SetCpuQuota(long? quotaMicros) =>
            Write(Path.Combine(dirs["cpu"], "cpu.cfs_quota_us"), (quotaMicros ?? -1).ToString(CultureInfo.InvariantCulture));

        /// <summary>Freeze, SIGKILL every member, thaw, wait until empty (reference/security.md section 3).</summary>
        public Task KillAllAsync()
        {
            var freezer = dirs.TryGetValue("freezer", out var f) ? Path.Combine(f, "freezer.state") : null;
            return KillAndWaitAsync([Path.Combine(dirs["memory"], "cgroup.procs")],
                () =>
                {
                    if (freezer is not null)
                    {
                        WriteIfPresent(freezer, "FROZEN");
                    }
                },
                () =>
                {
                    if (freezer is not null)
                    {
                        WriteIfPresent(freezer, "THAWED");
                    }
                });
        }

        public async Task DestroyAsync()
        {
            await KillAllAsync();
            Dispose();
            foreach (var dir in dirs.Values)
            {
                RemoveDirectory(dir);
            }
        }
    }
}
