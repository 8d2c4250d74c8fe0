using System.Text.Json;
using Lamina.Benchmarks.ControlPlane;

namespace Lamina.Benchmarks.DataPlane;

internal sealed partial class DataPlaneBenchmark
{
    /// <summary>
    /// (5) <see cref="DataPlaneSettings.Burst"/> concurrent sleeping invocations of a function with no
    /// environment yet, so each needs a new one; the same burst of fresh bubblewrap runtimes from the floor.
    /// Lamina's cgroup and RSS are read before and after, while the new environments sit idle, for the
    /// server's growth per environment. Then a burst of bare runtimes the floor keeps (each in a memory
    /// cgroup of its own, with the same history: started, one sleep) is the baseline for the idle
    /// environments' memory.
    /// </summary>
    private async Task<(BurstRun Lamina, BurstRun Floor, MemoryRow Memory)> BurstAndMemoryAsync(BenchRuntime runtime,
        CancellationToken cancellationToken)
    {
        var sleep = BenchRuntime.SleepEvent(_settings.BurstSleep);
        var memory = "&memory=" + _settings.BurstMemoryMb.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var serverBefore = _serverCgroup is null ? null : CgroupMemory.Read(_serverCgroup);
        var rssBefore = Procfs.Memory(_lamina.Process.Pid).Rss;
        var laminaBurst = await BurstAsync(runtime, Target.Lamina, async ct => (await _functions.InvokeAsync(BurstFunction(runtime), sleep, false, ct)).Body,
            cancellationToken);
        // Idle now; the spare network slots and /tmp volumes the pools refill in the background get a moment.
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        var serverAfter = _serverCgroup is null ? null : CgroupMemory.Read(_serverCgroup);
        var rssAfter = Procfs.Memory(_lamina.Process.Pid).Rss;
        var floorBurst = await BurstAsync(runtime, Target.ColdBubblewrap, ct => PostAsync(FloorUrl("cold", runtime, "?sandbox=bwrap" + memory), sleep, ct),
            cancellationToken);
        await BurstAsync(runtime, Target.ColdBare, ct => PostAsync(FloorUrl("cold", runtime, "?sandbox=none&keep=1" + memory), sleep, ct), cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);

        var environments = Math.Max(1, laminaBurst.Environments);
        var envs = LaminaEnvironments(BurstFunction(runtime));
        var bare = FloorRuntimes(runtime);
        await PostAsync(FloorUrl("release", runtime), [], cancellationToken);
        var row = new MemoryRow(
            runtime.Name,
            bare.Count,
            Mean(bare.Select(g => g.Charge)),
            bare.Count == 0 ? 0 : (long)bare.Average(g => g.Processes.Sum(p => p.Pss)),
            envs.Count,
            Mean(envs.Select(g => g.Charge)),
            envs.Count == 0 ? 0 : (long)envs.Average(g => g.Processes.Where(p => p.Comm != "bwrap").Sum(p => p.Pss)),
            envs.Count == 0 ? 0 : (long)envs.Average(g => g.Processes.Where(p => p.Comm == "bwrap").Sum(p => p.Pss)),
            laminaBurst.Environments,
            serverBefore is null || serverAfter is null ? null : Divide(serverAfter - serverBefore, environments),
            (rssAfter - rssBefore) / environments);
        Say($"memory {runtime.Name,-8} bare runtime {MiB(row.BareCharge.NonFile)} MiB charged ({row.BareRuntimes} runtimes); " +
            $"Lamina env {MiB(row.EnvCharge.NonFile)} MiB ({row.Environments} envs: runtime PSS {MiB(row.EnvRuntimePss)}, bwrap PSS {MiB(row.EnvSandboxPss)}); " +
            $"server +{MiB(row.ServerPerEnv?.NonFile ?? 0)} MiB/env (+{MiB(row.ServerPerEnv?.File ?? 0)} MiB page cache, RSS +{MiB(row.ServerRssPerEnv)}); " +
            $"overhead {MiB(row.Overhead)} MiB/env");
        return (laminaBurst, floorBurst, row);
    }

    private async Task<BurstRun> BurstAsync(BenchRuntime runtime, string target, Func<CancellationToken, Task<byte[]>> invoke,
        CancellationToken cancellationToken)
    {
        var sent = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var calls = Enumerable.Range(0, _settings.Burst).Select(_ => Task.Run(() => invoke(cancellationToken), cancellationToken)).ToList();
        await Task.WhenAll(calls.Select(c => (Task)c).Select(Quietly));
        var starts = new List<double>();
        var envIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var call in calls.Where(c => c.IsCompletedSuccessfully))
        {
            var answer = JsonDocument.Parse(call.Result).RootElement;
            envIds.Add(answer.GetProperty("env").GetString()!);
            starts.Add(answer.GetProperty("started").GetInt64() - sent);
        }

        var errors = calls.Count(c => !c.IsCompletedSuccessfully);
        var run = new BurstRun(runtime.Name, target, _settings.Burst, envIds.Count, LatencySummary.FromMilliseconds([.. starts]), errors);
        Say($"burst {runtime.Name,-8} {target,-14} {run.Environments} environments, all started after {run.StartMs.Max:F0} ms " +
            $"({run.Rate:F1}/s; median start {run.StartMs.P50:F0} ms)  errors {errors}" +
            (calls.FirstOrDefault(c => c.IsFaulted)?.Exception?.InnerException is { } e ? $"  first error: {e.Message}" : ""));
        return run;
    }

    private sealed record ProcessMemory(int Pid, string Comm, long Rss, long Pss);

    private sealed record MemoryGroup(string Dir, CgroupCharge Charge, IReadOnlyList<ProcessMemory> Processes);

    /// <summary>The memory cgroups of Lamina's environments of <paramref name="function"/>, found through their runtime processes.</summary>
    private List<MemoryGroup> LaminaEnvironments(string function) =>
        GroupsOf(pid => Procfs.Variable(pid, "AWS_LAMBDA_FUNCTION_NAME") == function && Procfs.DescendsFrom(pid, _lamina.Process.Pid));

    /// <summary>The bare runtimes the floor keeps, each in its own memory cgroup under the floor's.</summary>
    private List<MemoryGroup> FloorRuntimes(BenchRuntime runtime) =>
        _floorCgroup is null
            ? []
            : GroupsOf(pid => Procfs.Variable(pid, FloorLauncher.MarkerVariable) == FloorLauncher.Marker(runtime, FloorSandbox.None, ownCgroup: true) &&
                              Procfs.CgroupDir(pid, "memory")?.StartsWith(_floorCgroup + "/", StringComparison.Ordinal) == true);

    private static List<MemoryGroup> GroupsOf(Func<int, bool> member)
    {
        var dirs = Procfs.AllPids().Where(member).Select(pid => Procfs.CgroupDir(pid, "memory")).OfType<string>().Distinct(StringComparer.Ordinal);
        return dirs.Select(dir =>
        {
            var pids = (Procfs.TryRead(Path.Combine(dir, "cgroup.procs")) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse);
            var processes = pids.Select(pid =>
            {
                var (rss, pss, _) = Procfs.Memory(pid);
                return new ProcessMemory(pid, Procfs.Comm(pid), rss, pss);
            }).ToList();
            return new MemoryGroup(dir, CgroupMemory.Read(dir), processes);
        }).ToList();
    }

    private static CgroupCharge Mean(IEnumerable<CgroupCharge> charges)
    {
        var list = charges.ToList();
        return list.Count == 0 ? new CgroupCharge(0, 0) : new CgroupCharge((long)list.Average(c => c.Total), (long)list.Average(c => c.File));
    }

    private static CgroupCharge Divide(CgroupCharge charge, int by) => new(charge.Total / by, charge.File / by);

    internal static string MiB(long bytes) => (bytes / 1024.0 / 1024.0).ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
}
