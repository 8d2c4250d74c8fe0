using System.Globalization;
using System.Text;
using Lamina.Benchmarks.ControlPlane;

namespace Lamina.Benchmarks.DataPlane;

/// <summary>Renders a run as the "Data plane" section of docs/benchmarks.md.</summary>
internal static class DataPlaneReport
{
    public const string Heading = "## Data plane";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Markdown(DataPlaneResults r)
    {
        var s = r.Settings;
        var m = r.Machine;
        var md = ControlPlaneReport.Header(Heading, "data-plane", r.StartedAt, r.Took, m);
        md.Append("runtimes ")
            .Append(string.Join(", ", r.LaminaRuntimes.Select(kv => $"`{kv.Value}`")))
            .Append(Inv, $". Lamina, the floors and every runtime process run on CPU(s) {Pinned(s)}, the load client on CPU(s) {m.ClientCpus}. ")
            .Append("The machine is shared with other builds and test runs, so every number here moves between runs (by ±20% or more for ")
            .Append("latencies under a millisecond, and more for the tails); the floors are measured in the same run, interleaved with Lamina, ")
            .Append("so the differences and ratios are steadier than the absolute values.\n\n");

        Targets(md, r);
        Warm(md, r);
        Cold(md, r);
        Burst(md, r);
        Memory(md, r);
        Neighbours(md, r);
        return md.ToString();
    }

    /// <summary>The issues' targets (invoke: warm, cold, creation rate; isolation: memory, neighbours), each against its number here.</summary>
    private static void Targets(StringBuilder md, DataPlaneResults r)
    {
        md.Append("| Target | Runtime | Measured | Result |\n|---|---|---|---|\n");
        foreach (var runtime in r.LaminaRuntimes.Keys)
        {
            if (r.FindWarm(runtime, 1, Target.Echo) is { } echo && r.FindWarm(runtime, 1, Target.Lamina) is { } lamina)
            {
                var ratio = lamina.Latency.P50 / echo.Latency.P50;
                Row(md, "Warm invoke p50 ≤ 3× the Kestrel echo's (concurrency 1)", runtime,
                    string.Create(Inv, $"{lamina.Latency.P50:F3} ms vs {echo.Latency.P50:F3} ms: **{ratio:F1}×**"), ratio <= 3);
            }
        }

        foreach (var runtime in r.LaminaRuntimes.Keys)
        {
            var cold = r.Cold.Where(c => c.Runtime == runtime).ToList();
            if (cold.FirstOrDefault(c => c.Target == Target.Lamina) is { } lamina && cold.FirstOrDefault(c => c.Target == Target.ColdBubblewrap) is { } bwrap)
            {
                var added = lamina.Latency.P50 - bwrap.Latency.P50;
                Row(md, "Cold start adds ≤ 10 ms to bubblewrap + runtime start (p50)", runtime,
                    string.Create(Inv, $"{lamina.Latency.P50:F1} ms vs {bwrap.Latency.P50:F1} ms: **{Signed(added, "F1")} ms**"), added <= 10);
            }
        }

        foreach (var burst in r.Bursts.Where(b => b.Target == Target.Lamina))
        {
            var floor = r.Bursts.FirstOrDefault(b => b.Runtime == burst.Runtime && b.Target == Target.ColdBubblewrap);
            Row(md, "≥ 100 environments/s created (issue: on 2 cores; here on 1 pinned CPU)", burst.Runtime,
                string.Create(Inv, $"**{burst.Rate:F1}/s** ({burst.Environments} in {burst.StartMs.Max:F0} ms; bwrap floor {floor?.Rate ?? 0:F1}/s)"), burst.Rate >= 100);
        }

        foreach (var row in r.Memory)
        {
            Row(md, "Overhead per idle environment beyond the runtime ≤ 5 MiB", row.Runtime, $"**{DataPlaneBenchmark.MiB(row.Overhead)} MiB**",
                row.Overhead <= DataPlaneSettings.OverheadTargetMiB * 1024 * 1024);
        }

        foreach (var run in r.Neighbours)
        {
            var p50 = run.WithHogs.Latency.P50 / run.Baseline.Latency.P50;
            var p99 = run.WithHogs.Latency.P99 / run.Baseline.Latency.P99;
            md.Append(Inv, $"| Neighbour latency within 2× of unloaded while {run.Scenario.Environments} × {run.Scenario.MemoryMb} MB hog CPU | ")
                .Append(Inv, $"{r.LaminaRuntimes.Keys.First()} | p50 **{p50:F2}×**, p99 **{p99:F2}×** | ")
                .Append(Inv, $"p50 {(p50 <= 2 ? "met" : "**missed**")}, p99 {(p99 <= 2 ? "met" : "**missed**")} |\n");
        }

        md.Append("\nDetails and methods follow.\n\n");
    }

    private static void Row(StringBuilder md, string target, string runtime, string measured, bool met) =>
        md.Append(Inv, $"| {target} | {runtime} | {measured} | {(met ? "met" : "**missed**")} |\n");

    private static void Warm(StringBuilder md, DataPlaneResults r)
    {
        var s = r.Settings;
        md.Append("### Warm invoke\n\n");
        md.Append("| Runtime | Concurrency | Target | Throughput (req/s) | p50 (ms) | p90 (ms) | p99 (ms) | Server CPU per request (µs) | ")
            .Append("Runtime CPU per request (µs) | Run-queue wait per request, server / runtime (µs) |\n");
        md.Append("|---|--:|---|--:|--:|--:|--:|--:|--:|--:|\n");
        foreach (var runtime in r.LaminaRuntimes.Keys)
        {
            foreach (var concurrency in s.Concurrency.Distinct())
            {
                var echo = r.FindWarm(runtime, concurrency, Target.Echo);
                var floor = r.FindWarm(runtime, concurrency, Target.Floor);
                var lamina = r.FindWarm(runtime, concurrency, Target.Lamina);
                foreach (var (label, target) in new[] { ("echo (Kestrel floor)", Target.Echo), ("runtime floor", Target.Floor), ("Lamina", Target.Lamina) })
                {
                    if (r.FindWarmRun(runtime, concurrency, target) is { } w)
                    {
                        var run = w.Result;
                        md.Append(Inv, $"| {runtime} | {concurrency} | {label} | {run.Throughput:N0} | {run.Latency.P50:F3} | {run.Latency.P90:F3} | ")
                            .Append(Inv, $"{run.Latency.P99:F3} | {w.PerRequest(w.Server.Run):N0} | {(target == Target.Echo ? "" : w.PerRequest(w.Runtimes.Run).ToString("N0", Inv))} | ")
                            .Append(Inv, $"{w.PerRequest(w.Server.Wait):N0} / {(target == Target.Echo ? "" : w.PerRequest(w.Runtimes.Wait).ToString("N0", Inv))} |\n");
                    }
                }

                if (lamina is not null)
                {
                    foreach (var (label, floorRun) in new[] { ("Lamina vs echo", echo), ("Lamina vs runtime floor", floor) })
                    {
                        if (floorRun is not null)
                        {
                            md.Append(Inv, $"| {runtime} | {concurrency} | **{label}** | **{lamina.Throughput / floorRun.Throughput:F2}x** | ")
                                .Append(Inv, $"{Us(lamina.Latency.P50 - floorRun.Latency.P50)} µs | {Us(lamina.Latency.P90 - floorRun.Latency.P90)} µs | ")
                                .Append(Inv, $"{Us(lamina.Latency.P99 - floorRun.Latency.P99)} µs | | | |\n");
                        }
                    }
                }
            }
        }

        md.Append("\nOverhead per warm invoke at concurrency 1 (Lamina's p50 minus the floor's):");
        foreach (var runtime in r.LaminaRuntimes.Keys)
        {
            var echo = r.FindWarm(runtime, 1, Target.Echo);
            var floor = r.FindWarm(runtime, 1, Target.Floor);
            var lamina = r.FindWarm(runtime, 1, Target.Lamina);
            if (echo is not null && floor is not null && lamina is not null)
            {
                md.Append(Inv, $" {runtime} **{Us(lamina.Latency.P50 - echo.Latency.P50)} µs** over echo, of which ")
                    .Append(Inv, $"{Us(floor.Latency.P50 - echo.Latency.P50)} µs is the runtime's own round trip (runtime floor minus echo) and ")
                    .Append(Inv, $"{Us(lamina.Latency.P50 - floor.Latency.P50)} µs is Lamina's (Lamina minus runtime floor);");
            }
        }

        md.Length--;
        md.Append(".\n\n");
        md.Append("In the ratio rows, throughput is Lamina's divided by the floor's and each latency is Lamina's minus the floor's.\n\n");
        foreach (var failed in r.Warm.Where(w => w.Result.Errors > 0))
        {
            md.Append(Inv, $"Failed: {failed.Result.Errors:N0} of {failed.Runtime} c={failed.Concurrency} {failed.Target}'s requests (left out of the numbers); ")
                .Append(Inv, $"the first: `{failed.Result.FirstError?.ReplaceLineEndings(" ")}`.\n\n");
        }

        md.Append("Method:\n\n");
        md.Append(Inv, $"- The function answers a {BenchRuntime.EchoEvent.Length}-byte JSON event with the same bytes (")
            .Append(string.Join(", ", r.ResponseBytes.Select(kv => $"{kv.Key} {kv.Value} B")))
            .Append(Inv, $"). `provided` is `{r.LaminaRuntimes.GetValueOrDefault("provided")}` with a stdlib Python bootstrap speaking the Runtime API ")
            .Append("(`bench/Lamina.Benchmarks/DataPlane/BenchRuntime.cs`, like `tests/Lamina.Tests/Support/TestRuntime.cs` but returning the raw event); ")
            .Append(Inv, $"`nodejs` is Lamina's managed runtime (`runtimes/nodejs`) with an async handler returning the event. MemorySize {s.MemoryMb} MB: ")
            .Append("one vCPU of CFS quota, so the quota never throttles an echo; at 128 MB an environment gets 7% of a CPU.\n");
        md.Append("- Three targets get the same request (a SigV4-signed POST of the event, pre-signed as in the control-plane harness) from the same ")
            .Append("closed-loop client: **echo**, the Kestrel endpoint of the control-plane harness answering as many bytes as Lamina (HTTP alone); ")
            .Append("the **runtime floor** (`runtime-floor`, `RuntimeFloorServer.cs`), a Kestrel endpoint that hands the body to an idle runtime process ")
            .Append("through a minimal Runtime API (next/response, one loopback address per process) and returns its answer, with no auth, store, ")
            .Append("logs or sandbox; and **Lamina**'s Invoke API (SigV4 verified, IAM authorized, function resolved, concurrency admitted, ")
            .Append("an idle environment taken, the event delivered over the environment's veth pair, REPORT lines written to its log store).\n");
        md.Append(Inv, $"- Workers = connections = concurrency. Each target is warmed up for {s.Warmup.TotalSeconds:F0} s (echo 2 s), which also creates ")
            .Append(Inv, $"one environment (or floor process) per worker, then measured for {s.Duration.TotalSeconds:F0} s (echo 5 s) in {s.Rounds} interleaved rounds. ")
            .Append("Latency is per request from send to the last response byte, percentiles by nearest rank over every sample.\n");
        md.Append("- Per request, from `/proc/PID/task/*/schedstat` over the measured stretches: CPU time of the server process's threads and of ")
            .Append("the runtime processes it relays to (Lamina's environments of the warm function, the floor's warm runtimes), and how long ")
            .Append("they waited on a run queue, ready but not running: what CPU contention cost them. Everything of the server side shares one ")
            .Append("CPU with whatever else the shared machine runs there, so the waits move most from run to run.\n\n");
    }

    private static void Cold(StringBuilder md, DataPlaneResults r)
    {
        md.Append("### Cold start\n\n");
        md.Append("| Runtime | Start | Samples | p50 (ms) | p90 (ms) | max (ms) | Lamina's Init Duration p50 (ms) |\n");
        md.Append("|---|---|--:|--:|--:|--:|--:|\n");
        foreach (var runtime in r.LaminaRuntimes.Keys)
        {
            var runs = r.Cold.Where(c => c.Runtime == runtime).ToList();
            foreach (var run in runs)
            {
                var label = run.Target switch
                {
                    Target.Lamina => "Lamina (new environment)",
                    Target.ColdInterpreter => $"interpreter only (`{InterpreterOnly(runtime)}`)",
                    var other => other,
                };
                md.Append(Inv, $"| {runtime} | {label} | {run.Samples} | {run.Latency.P50:F1} | {run.Latency.P90:F1} | {run.Latency.Max:F1} | ")
                    .Append(run.InitDuration is { } init ? init.P50.ToString("F1", Inv) : "").Append(" |\n");
            }

            var lamina = runs.FirstOrDefault(c => c.Target == Target.Lamina);
            var bwrap = runs.FirstOrDefault(c => c.Target == Target.ColdBubblewrap);
            if (lamina is not null && bwrap is not null)
            {
                md.Append(Inv, $"| {runtime} | **Lamina vs bwrap floor** | | **{Signed(lamina.Latency.P50 - bwrap.Latency.P50, "F1")} ms ({lamina.Latency.P50 / bwrap.Latency.P50:F1}x)** | ")
                    .Append(Inv, $"{Signed(lamina.Latency.P90 - bwrap.Latency.P90, "F1")} ms | | |\n");
            }
        }

        if (r.Cold.Sum(c => c.Errors) is > 0 and var coldErrors)
        {
            md.Append(Inv, $"\n{coldErrors} of Lamina's cold starts failed; those samples are left out for every target.\n");
        }

        md.Append("\nMethod:\n\n");
        md.Append("- Lamina: before each sample the harness changes an environment variable of the function (UpdateFunctionConfiguration), ")
            .Append("which makes a new revision of `$LATEST` whose environment pool starts empty (and shuts down the old revision's environment), ")
            .Append("waits 0.4 s for that teardown, then invokes once and times it at the client until the last response byte. The invoke asks for the log tail, whose REPORT ")
            .Append("line carries Lamina's Init Duration (from starting the sandbox to the runtime's first `/next`); the rest of the time is the ")
            .Append("API path, the environment's setup before the launch (cgroup, network slot, /tmp volume, uid, role-session credentials) and ")
            .Append("the first invoke. The code is already extracted (it does not change between revisions).\n");
        md.Append("- Floors, interleaved sample by sample with Lamina's (each 0.4 s after Lamina's, so that Lamina's pool refills after its ")
            .Append("cold start, which it defers until the start has answered, do not take the CPU from the floor's sample) and timed the same ")
            .Append("way through the runtime floor's HTTP endpoint: ")
            .Append("**bwrap** starts the same bootstrap under bubblewrap with the namespaces Lamina's sandboxes get (user, pid, ipc, uts, ")
            .Append("cgroup), a read-only /usr, the code at /var/task and a tmpfs /tmp, waits for its first `/next`, relays the event and answers; ")
            .Append("it leaves out what only Lamina adds: the cgroup, the network namespace and veth pair, the unprivileged uid (setpriv), seccomp, ")
            .Append("the sized loop-mounted /tmp, credentials, the `sh → nsenter → setpriv → bwrap → init` exec chain and the log pipe. ")
            .Append("**bare process** is the same without bubblewrap; **interpreter only** times `python3 -c pass` / `node -e 0` (no runtime, no ")
            .Append("Runtime API), the least any start can cost. Node's bootstrap runs `node --version` before `node index.mjs` (about 6 ms), as in every target.\n");
        md.Append("- One unmeasured round first, so no target pays for a cold page cache or first-call JIT in a measured sample.\n\n");
    }

    private static void Burst(StringBuilder md, DataPlaneResults r)
    {
        var s = r.Settings;
        md.Append("### Environment creation under a burst\n\n");
        md.Append("| Runtime | Target | Concurrent invokes | New environments | Median start (ms) | Last start (ms) | Environments per second |\n");
        md.Append("|---|---|--:|--:|--:|--:|--:|\n");
        foreach (var run in r.Bursts)
        {
            md.Append(Inv, $"| {run.Runtime} | {(run.Target == Target.Lamina ? "Lamina" : "floor: bwrap")} | {run.Requested} | {run.Environments} | ")
                .Append(Inv, $"{run.StartMs.P50:F0} | {run.StartMs.Max:F0} | **{run.Rate:F1}** |\n");
        }

        md.Append("\nMethod:\n\n");
        md.Append(Inv, $"- {s.Burst} invocations sent at once (one connection each) of a function with no environment yet ({s.BurstMemoryMb} MB), each sleeping ")
            .Append(Inv, $"{s.BurstSleep.TotalSeconds:F0} s, so every one needs a new environment; each answers with its environment's id (all distinct, ")
            .Append("or the count above says so) and when its handler started. Start is that moment minus when the requests were sent; the rate is ")
            .Append("environments over the last start. The floor runs the same burst of fresh bubblewrap processes. Everything runs on one pinned ")
            .Append("CPU, so this is the rate one core sustains.\n\n");
    }

    private static void Memory(StringBuilder md, DataPlaneResults r)
    {
        md.Append("### Memory per idle environment\n\n");
        md.Append("| Runtime | Bare runtime: cgroup charge (MiB) | Bare runtime PSS (MiB) | Lamina environment: cgroup charge (MiB) | Its runtime's PSS (MiB) | ")
            .Append("Its 2 bwrap processes' PSS (MiB) | Beyond the runtime, in the environment (MiB) | Lamina server per environment (MiB) | ")
            .Append("Overhead per environment (MiB) | Target ≤ 5 MiB |\n");
        md.Append("|---|--:|--:|--:|--:|--:|--:|--:|--:|---|\n");
        foreach (var row in r.Memory)
        {
            var server = row.ServerPerEnv is { } charge
                ? $"{DataPlaneBenchmark.MiB(charge.NonFile)} (+{DataPlaneBenchmark.MiB(charge.File)} page cache)"
                : $"{DataPlaneBenchmark.MiB(row.ServerRssPerEnv)} (RSS only)";
            md.Append(Inv, $"| {row.Runtime} | {DataPlaneBenchmark.MiB(row.BareCharge.NonFile)} | {DataPlaneBenchmark.MiB(row.BarePss)} | ")
                .Append(Inv, $"{DataPlaneBenchmark.MiB(row.EnvCharge.NonFile)} | {DataPlaneBenchmark.MiB(row.EnvRuntimePss)} | {DataPlaneBenchmark.MiB(row.EnvSandboxPss)} | ")
                .Append(Inv, $"{DataPlaneBenchmark.MiB(row.InEnvironment)} | {server} | **{DataPlaneBenchmark.MiB(row.Overhead)}** | ")
                .Append(row.Overhead <= DataPlaneSettings.OverheadTargetMiB * 1024 * 1024 ? "holds" : "**missed**").Append(" |\n");
        }

        md.Append("\nMethod:\n\n");
        md.Append(Inv, $"- Cgroup charge is what the kernel charges the memory cgroup ({r.Cgroups}; cgroup {(CgroupMemory.IsUnified ? "v2 `memory.current`" : "v1 `memory.usage_in_bytes`, kernel memory included")}) ")
            .Append("less its page cache: anonymous memory plus kernel objects (page tables, stacks, slab, sockets). Page cache is left out ")
            .Append("because it is charged to whichever group first reads a file (the runtime's own files are shared by every environment).\n");
        md.Append(Inv, $"- Lamina environment: the {r.Settings.Burst} environments of the burst above ({r.Settings.BurstMemoryMb} MB), idle, each ")
            .Append("started and then served one sleeping invocation. Bare runtime: a burst of as many bare runtime processes from the runtime floor, ")
            .Append("the same bootstrap with the same history (started, one sleep, same memory size), each kept in a memory cgroup of its own ")
            .Append("beside Lamina's. PSS (from `smaps_rollup`) splits shared pages among the processes that map them.\n");
        md.Append("- Lamina server per environment: the growth of the memory cgroup the harness puts the Lamina server in (a child of its own) ")
            .Append("across the burst above, divided by the environments it created, read 2 s after the burst while they are idle. It holds ")
            .Append("the server process's own growth and the kernel objects its helpers create (`ip` for the network namespace and veth pair, ")
            .Append("`mkfs.ext4` and `mount` for the loop-mounted /tmp); the page cache of the /tmp images is shown apart. ")
            .Append("Network slots and spare /tmp volumes are pooled ahead of demand, so a burst also refills those pools.\n");
        md.Append("- Overhead = (environment's charge − bare runtime's charge) + Lamina server per environment, page cache excluded.\n\n");
    }

    private static void Neighbours(StringBuilder md, DataPlaneResults r)
    {
        if (r.Neighbours.Count == 0)
        {
            return;
        }

        var s = r.Settings;
        var victim = r.LaminaRuntimes.Keys.First();
        md.Append("### Neighbour isolation\n\n");
        md.Append("| Neighbours burning CPU | Alone: p50 / p90 / p99 (ms) | Alone (req/s) | With neighbours: p50 / p90 / p99 (ms) | With neighbours (req/s) | ")
            .Append("p50 ratio | p99 ratio | Neighbours' CPU (cores) | Their quota throttled (periods) | Victim runtime's run-queue wait per request, alone → beside (µs) |\n");
        md.Append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        foreach (var run in r.Neighbours)
        {
            md.Append(Inv, $"| {run.Scenario.Environments} × {run.Scenario.MemoryMb} MB | {Triple(run.Baseline.Latency)} | {run.Baseline.Throughput:N0} | ")
                .Append(Inv, $"{Triple(run.WithHogs.Latency)} | {run.WithHogs.Throughput:N0} | **{run.WithHogs.Latency.P50 / run.Baseline.Latency.P50:F2}x** | ")
                .Append(Inv, $"**{run.WithHogs.Latency.P99 / run.Baseline.Latency.P99:F2}x** | {run.HogCores:F2} | {run.HogThrottledPeriods:N0} | ")
                .Append(Inv, $"{run.VictimWaitAloneUs:N0} → {run.VictimWaitBesideUs:N0} |\n");
        }

        if (r.Neighbours.Sum(n => n.HogErrors) is > 0 and var hogErrors)
        {
            md.Append(Inv, $"\n{hogErrors} of the neighbours' invocations failed before the end of their loop.\n");
        }

        md.Append("\nMethod:\n\n");
        md.Append(Inv, $"- Victim: the warm `{victim}` function ({s.MemoryMb} MB) at concurrency 1. Per scenario and round, {(s.Duration / s.Rounds).TotalSeconds:F0} s ")
            .Append("alone, then the neighbours (environments of another function, each looping `while time.time() < end: pass`) are started, get ")
            .Append(Inv, $"{3} s to start, and the victim is measured again for as long while they burn; {s.Rounds} rounds.\n");
        md.Append("- Lamina limits each environment's CPU with a CFS quota proportional to memory (`cpu.max`, or `cpu.cfs_quota_us` on cgroup v1: ")
            .Append("one CPU per 1,769 MB, so 128 MB gets 7.2 ms per 100 ms) and a CPU weight in the same ratio (`cpu.weight` 100, or `cpu.shares` ")
            .Append("1,024, per 1,769 MB; 128 MB gets 7 or 71); the Lamina server runs outside those cgroups. Everything shares one pinned CPU here, so ")
            .Append("neighbours with a whole vCPU of quota and weight each compete with the victim as equals.\n\n");
    }

    private static string Triple(LatencySummary l) => string.Create(Inv, $"{l.P50:F2} / {l.P90:F2} / {l.P99:F2}");

    private static string InterpreterOnly(string runtime) => runtime == "nodejs" ? "node -e 0" : "python3 -c pass";

    /// <summary>Milliseconds as signed microseconds ("+812", "−40").</summary>
    private static string Us(double ms) => Signed(ms * 1000, "N0");

    private static string Signed(double value, string format) => (value < 0 ? "−" : "+") + Math.Abs(value).ToString(format, Inv);

    private static string Pinned(DataPlaneSettings s) => s.ServerCpus.Length > 0 ? s.ServerCpus : "any (not pinned)";
}
