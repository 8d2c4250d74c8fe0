using System.Diagnostics;
using Lamina.Benchmarks.ControlPlane;

namespace Lamina.Benchmarks.DataPlane;

internal sealed partial class DataPlaneBenchmark
{
    /// <summary>
    /// (6) Per scenario and round: the warm function at concurrency 1 alone, then again while the scenario's
    /// environments of another function burn CPU in a loop for longer than the measurement. The CPU the
    /// hogs got and how often their CFS quota throttled them are read from their processes and cgroups.
    /// </summary>
    private async Task<List<NeighbourRun>> NeighboursAsync(CancellationToken cancellationToken)
    {
        var victim = WarmFunction(_runtimes[0]);
        using var load = new LoadGenerator(1);
        await using var pool = new SignedRequestPool(1, now => _functions.SignInvoke(victim, BenchRuntime.EchoEvent, now));
        var slice = _settings.Duration / _settings.Rounds;
        var runs = new List<NeighbourRun>();
        foreach (var scenario in _settings.Hogs)
        {
            var hog = HogFunction(scenario.MemoryMb);
            var baseline = new List<LoadSlice>();
            var hogged = new List<LoadSlice>();
            CpuSchedule alone = default, beside = default, hogUse = default;
            var hogWall = TimeSpan.Zero;
            long throttled = 0;
            var hogErrors = 0;
            for (var round = 0; round < _settings.Rounds; round++)
            {
                var victims = LaminaRuntimeProcesses(victim);
                var victims0 = CpuSnapshot.Take(victims);
                baseline.Add(await load.RunAsync(pool, 1, slice, _lamina.Process, cancellationToken));
                alone += CpuSnapshot.Take(victims).Since(victims0);

                var burn = BenchRuntime.BurnEvent(HogStart + slice + TimeSpan.FromSeconds(2));
                var hogs = Enumerable.Range(0, scenario.Environments)
                    .Select(_ => Task.Run(() => _functions.InvokeAsync(hog, burn, false, cancellationToken), cancellationToken)).ToList();
                await Task.Delay(HogStart, cancellationToken);
                var hogPids = LaminaRuntimeProcesses(hog);
                var hogs0 = CpuSnapshot.Take(hogPids);
                var throttled0 = hogPids.Sum(ThrottledPeriods);
                victims0 = CpuSnapshot.Take(victims);
                var wall = Stopwatch.StartNew();
                hogged.Add(await load.RunAsync(pool, 1, slice, _lamina.Process, cancellationToken));
                hogWall += wall.Elapsed;
                beside += CpuSnapshot.Take(victims).Since(victims0);
                hogUse += CpuSnapshot.Take(hogPids).Since(hogs0);
                throttled += hogPids.Sum(ThrottledPeriods) - throttled0;
                if (hogPids.Count < scenario.Environments)
                {
                    Say($"  only {hogPids.Count} of {scenario.Environments} hog environments were running during the measurement");
                }

                await Task.WhenAll(hogs.Select(h => (Task)h).Select(Quietly));
                hogErrors += hogs.Count(h => !h.IsCompletedSuccessfully);
            }

            var run = new NeighbourRun(scenario, LoadResult.Merge(baseline), LoadResult.Merge(hogged), hogWall > TimeSpan.Zero ? hogUse.Run / hogWall : 0,
                throttled, PerRequest(alone.Wait, baseline), PerRequest(beside.Wait, hogged), hogErrors);
            runs.Add(run);
            Say($"neighbours {scenario} MB: alone p50 {run.Baseline.Latency.P50:F3} ms p99 {run.Baseline.Latency.P99:F3} ms; " +
                $"with hogs p50 {run.WithHogs.Latency.P50:F3} ms p99 {run.WithHogs.Latency.P99:F3} ms; hogs used {run.HogCores:F2} cores, " +
                $"throttled {throttled} periods; victim runtime run-queue wait {run.VictimWaitAloneUs:F0} -> {run.VictimWaitBesideUs:F0} µs per request");
        }

        return runs;
    }

    private static double PerRequest(TimeSpan total, List<LoadSlice> slices)
    {
        var requests = slices.Sum(s => s.LatencyTicks.Length);
        return requests == 0 ? 0 : total.TotalMicroseconds / requests;
    }

    /// <summary>The runtime processes of <paramref name="function"/>'s environments in Lamina (one per environment).</summary>
    private List<int> LaminaRuntimeProcesses(string function) =>
        [.. Procfs.AllPids().Where(pid => Procfs.Comm(pid) != "bwrap" && Procfs.Variable(pid, "AWS_LAMBDA_FUNCTION_NAME") == function &&
                                          Procfs.DescendsFrom(pid, _lamina.Process.Pid))];

    /// <summary><c>nr_throttled</c> of the process's CPU cgroup (v1 cpu hierarchy or v2).</summary>
    private static long ThrottledPeriods(int pid)
    {
        var dir = Procfs.CgroupDir(pid, "cpu");
        foreach (var line in (dir is null ? null : Procfs.TryRead(Path.Combine(dir, "cpu.stat")) ?? "")?.Split('\n') ?? [])
        {
            var parts = line.Split(' ');
            if (parts is ["nr_throttled", var value])
            {
                return long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
