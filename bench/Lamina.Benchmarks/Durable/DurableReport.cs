using System.Globalization;
using System.Text;
using Lamina.Benchmarks.ControlPlane;

namespace Lamina.Benchmarks.Durable;

/// <summary>Renders a run as the "Durable functions" section of docs/benchmarks.md.</summary>
internal static class DurableReport
{
    public const string Heading = "## Durable functions";

    /// <summary>The issue's targets: per-step overhead against the raw commit, and timer lateness at p99.</summary>
    public const double OverheadTarget = 1.25;

    public const double LatenessTargetMs = 50;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Markdown(DurableResults r)
    {
        var s = r.Settings;
        var m = r.Machine;
        var md = new StringBuilder();
        md.Append(Heading).Append("\n\n");
        md.Append(Inv, $"Last run {r.StartedAt:yyyy-MM-dd HH:mm} UTC on commit `{m.Commit}` by `bench/run.sh durable` ")
            .Append(Inv, $"(took {r.Took.TotalSeconds:F0} s, build excluded).\n\n");
        md.Append(Inv, $"Machine: {m.Cpus} CPUs ({m.CpuModel}), {m.MemoryGiB:F0} GiB, {m.Os}; .NET {m.Dotnet}; Node.js {r.NodeVersion}; ")
            .Append("`@aws/durable-execution-sdk-js` 2.4.0, `@aws/durable-execution-sdk-js-testing` 1.1.4. ")
            .Append(Inv, $"The machine is shared with other work: its 1-minute load average was {r.LoadAverages} (runnable threads on {m.Cpus} CPUs), ")
            .Append("and every time below includes waiting for a CPU.\n\n");

        var laminaStep = DurableResults.Median(r.LaminaSteps.Select(x => x.PerStepMs));
        var localStep = DurableResults.Median(r.LocalSteps.Select(x => x.PerStepMs));
        var floorMean = DurableResults.Median(r.FloorRoundMeansMs);
        var ratio = DurableResults.Median(r.OverheadRatios);
        var laminaFired = Summary(r.LaminaWaits, w => w.FiredLateMs);
        var laminaResumed = Summary(r.LaminaWaits, w => w.ResumedLateMs);
        var localFired = Summary(r.LocalWaits, w => w.FiredLateMs);
        var localResumed = Summary(r.LocalWaits, w => w.ResumedLateMs);

        md.Append("| Measure | Lamina | Raw SQLite commit | SDK local runner | Lamina / raw commit | Lamina / local runner | Target |\n");
        md.Append("|---|--:|--:|--:|--:|--:|---|\n");
        md.Append(Inv, $"| Time per step, sequential (ms) | {F2(laminaStep)} | {F2(floorMean)} | {F2(localStep)} | **{F2(ratio)}x** | {Ratio(laminaStep, localStep)} | ")
            .Append(Inv, $"≤ {OverheadTarget:F2}x raw commit: {Met(ratio <= OverheadTarget)} |\n");
        md.Append(Inv, $"| Steps/s, {s.Concurrency} concurrent executions x {s.ConcurrentSteps} steps | {F0(r.LaminaConcurrent?.StepsPerSecond)} | ")
            .Append(Inv, $"{F0(1000 / floorMean)} (commits/s, one writer) | {F0(r.LocalConcurrent?.StepsPerSecond)} | ")
            .Append(Inv, $"{Ratio(r.LaminaConcurrent?.StepsPerSecond, 1000 / floorMean)} | {Ratio(r.LaminaConcurrent?.StepsPerSecond, r.LocalConcurrent?.StepsPerSecond)} | |\n");
        md.Append(Inv, $"| Timer lateness p50 / p99 (ms), to the wait completing | {P(laminaFired)} | | {P(localFired)} | | | |\n");
        md.Append(Inv, $"| Timer lateness p50 / p99 (ms), to user code running again | {P(laminaResumed)} | | {P(localResumed)} | | | ")
            .Append(Inv, $"p99 ≤ {LatenessTargetMs:F0} ms: {Met(laminaResumed is { } lr && lr.P99 <= LatenessTargetMs)} |\n");

        md.Append("\nPer-step rounds (ms per step; raw commit mean of the same round):\n\n");
        md.Append("| Round | Lamina | Lamina process CPU | Function (Node) CPU | Raw commit | Ratio | Local runner |\n|--:|--:|--:|--:|--:|--:|--:|\n");
        for (var i = 0; i < Math.Max(r.LaminaSteps.Count, r.LocalSteps.Count); i++)
        {
            md.Append(Inv, $"| {i + 1} | {F2(r.LaminaSteps.ElementAtOrDefault(i)?.PerStepMs)} | {F2(r.LaminaSteps.ElementAtOrDefault(i)?.ServerCpuPerStepMs)} | ")
                .Append(Inv, $"{F2(r.LaminaSteps.ElementAtOrDefault(i)?.FunctionCpuPerStepMs)} | ")
                .Append(Inv, $"{F2(r.FloorRoundMeansMs.ElementAtOrDefault(i))} | ")
                .Append(Inv, $"{F2(r.OverheadRatios.ElementAtOrDefault(i))} | {F2(r.LocalSteps.ElementAtOrDefault(i)?.PerStepMs)} |\n");
        }

        md.Append(Inv, $"\nRaw commit over all rounds: p50 {r.Floor.P50:F2} ms, p99 {r.Floor.P99:F2} ms, mean {r.Floor.Mean:F2} ms ({r.CheckpointBytes} bytes per commit). ")
            .Append(Inv, $"Median CPU per step: {F2(DurableResults.Median(r.LaminaSteps.Select(x => x.ServerCpuPerStepMs ?? double.NaN)))} ms in the Lamina process, ")
            .Append(Inv, $"{F2(DurableResults.Median(r.LaminaSteps.Select(x => x.FunctionCpuPerStepMs ?? double.NaN)))} ms in the function's Node process; ")
            .Append("the rest of a step's time is waiting: for the commit's fsync, and for a CPU between the hops (function, Lamina, back).\n");

        md.Append("\nMethod:\n\n");
        md.Append(Inv, $"- One handler (`bench/durable/handlers.mjs`, official SDK, unmodified) runs both workloads: N sequential `context.step` calls with small results, ")
            .Append(Inv, $"or one `context.wait` followed by a step that returns `Date.now()`. Lamina runs it as a nodejs20.x function ({s.MemoryMb} MB: ")
            .Append("one vCPU of CFS quota at 1,769 MB, so the function's CPU allowance does not bound a step; the SDK zipped with it) ")
            .Append("invoked synchronously on `$LATEST`; the local runner is `LocalDurableTestRunner` with real timers (`skipTime: false`), in-process with its checkpoint server.\n");
        md.Append(Inv, $"- Warm-up: sequential 100-step and 0-step executions for at least {s.Warmup.TotalSeconds:F0} s before the per-step rounds, ")
            .Append("so the server's tiered JIT has optimized the checkpoint path (on one busy core that takes tens of seconds).\n");
        md.Append(Inv, $"- Per step: {s.Rounds} rounds, each a 0-step and a {s.Steps}-step execution timed end to end at the client; per step = ")
            .Append("(T(N) − T(0)) / N, so starting, invoking and closing an execution cancel out. The SDK sends each step's START and SUCCEED ")
            .Append("in one CheckpointDurableExecution call, so a step is one HTTP request from the function and one store commit in Lamina.\n");
        md.Append(Inv, $"- Raw commit: in the same process run and round, {s.Steps} transactions one after another on a SQLite database beside Lamina's ")
            .Append(Inv, $"(same file system, WAL, `synchronous=FULL`, 8 KB pages, `BEGIN IMMEDIATE`, as Lamina's store), each inserting one row of {r.CheckpointBytes} bytes: ")
            .Append("what a step's checkpoint writes in Lamina (its operation row, two history events and the execution row, measured from Lamina's database). ")
            .Append("The database is first taken past the first wrap of its WAL (1,500 commits), as Lamina's is after its warm-up: while a WAL file still grows, ")
            .Append("every fsync also commits file-system metadata and costs several times more. The ratio is taken per round; the table shows the median.\n");
        md.Append(Inv, $"- Throughput: {s.Concurrency} environments warmed with a 1-step execution each, then {s.Concurrency} executions of {s.ConcurrentSteps} steps ")
            .Append("started at once; steps/s = all steps / wall time until the last one closed. The raw-commit column is 1 / mean commit time: ")
            .Append("what one writer committing one step at a time could reach.\n");
        md.Append(Inv, $"- Timers: {s.Waits} executions started evenly over {s.WaitStagger.TotalSeconds:F0} s, waiting {string.Join(" or ", s.WaitSeconds)} s in turn. ")
            .Append("Lateness is measured from the wait's scheduled end (`WaitStarted.ScheduledEndTimestamp` in the history, set when the WAIT checkpoint is taken) ")
            .Append("to the `WaitSucceeded` event (the timer completing the wait), and to the `Date.now()` of the step after the wait (the function invoked again, ")
            .Append("the history replayed, user code running). History timestamps have millisecond resolution.\n");
        md.Append("- CPU time per step: the Lamina process's CPU time (`/proc`) during the N-step execution minus that during the 0-step one, over N; ")
            .Append("the same for the function's `node` processes below Lamina (10 ms resolution, hence read over whole executions).\n");
        md.Append(Inv, $"- CPU pinning: Lamina and the function sandboxes it starts run under `taskset -c {(s.ServerCpus.Length > 0 ? s.ServerCpus : "(none)")}`, ")
            .Append(Inv, $"the client and the local runner (a Node process) on CPU(s) {m.ClientCpus}: each side gets one core.\n");
        return md.ToString();
    }

    private static LatencySummary? Summary(IReadOnlyList<WaitSample> waits, Func<WaitSample, double> select) =>
        waits.Count == 0 ? null : LatencySummary.FromMilliseconds([.. waits.Select(select)]);

    private static string P(LatencySummary? s) => s is null ? "" : string.Create(Inv, $"{s.P50:F0} / {s.P99:F0}");

    private static string F2(double? v) => v is { } x && !double.IsNaN(x) ? x.ToString("F2", Inv) : "";

    private static string F0(double? v) => v is { } x && !double.IsNaN(x) ? x.ToString("N0", Inv) : "";

    private static string Ratio(double? a, double? b) => a is { } x && b is { } y && y > 0 && !double.IsNaN(x) && !double.IsNaN(y) ? (x / y).ToString("F2", Inv) + "x" : "";

    private static string Met(bool met) => met ? "met" : "**not met**";
}
