using System.Diagnostics;
using System.Net;
using Lamina.Benchmarks.ControlPlane;
using Lamina.Core.Async;
using Lamina.Core.Crypto;

namespace Lamina.Benchmarks.Async;

/// <summary>
/// Asynchronous invocation in one run: how fast Lamina accepts events (each durable before its 202), against
/// the raw commit rate of its store on the same disk, and how long an accepted event waits for the function.
/// </summary>
/// <remarks>
/// (1) Start the sink (its own network namespace) and Lamina (fresh data dir, <c>--time-scale 1</c>, pinned to
///     <see cref="AsyncSettings.ServerCpus"/>; its sandboxes inherit the pinning); create the execution role
///     through IAM CreateRole and the function through the Lambda API.
/// (2) One event end to end: the function must report it to the sink under the request id of the 202.
/// (3) Warm-up: bursts of events that hold their environment, 16 more each time up to 64 (the pollers' limit), until
///     one needs no new environment; then closed-loop load
///     for <see cref="AsyncSettings.Warmup"/>; wait until the function started every event, so JIT and
///     environments are warm and the queue is empty before anything is measured.
/// (4) Paced phase: <see cref="AsyncSettings.PacedRate"/> events/s; wait until all started; enqueue-to-start.
/// (5) Commit floor, with Lamina idle: SQLite as Lamina configures it, on the same filesystem, one row per
///     transaction, by one writer and by <see cref="AsyncSettings.Workers"/> writers.
/// (6) Saturated phase: <see cref="AsyncSettings.Workers"/> closed-loop workers for <see cref="AsyncSettings.Duration"/>;
///     count 202s; then wait for the backlog to drain and measure its enqueue-to-start too.
/// (7) Print the report, keep the raw results under bench/results, update docs/benchmarks.md.
/// </remarks>
internal static class AsyncBenchmark
{
    public static async Task<int> RunAsync(AsyncSettings settings, CancellationToken cancellationToken)
    {
        var run = await BenchmarkRun.StartAsync("lamina-bench-async-", cancellationToken);
        var (repo, workDir) = (run.Repo, run.WorkDir);
        var fileSystem = CommitFloor.FileSystemOf(workDir);
        var loadAtStart = LoadAverage();
        Say($"Client on CPU(s) {run.Machine.ClientCpus}; Lamina on CPU(s) {(settings.ServerCpus.Length > 0 ? settings.ServerCpus : "any (not pinned)")}. " +
            $"Data on {fileSystem}; logs in {workDir}.");

        SinkNamespace? sink = null;
        ServerUnderTest? lamina = null;
        SignedRequestPool? pool = null;
        try
        {
            // (1)
            sink = await SinkNamespace.StartAsync(repo, workDir, cancellationToken);
            lamina = await ServerLauncher.StartLaminaAsync(repo, settings.LaminaExecutable, settings.ServerCpus, workDir, ["--time-scale", "1"],
                cancellationToken);
            await BenchFunction.CreateAsync(lamina, cancellationToken);
            Say($"Lamina at {lamina.Endpoint}; sink at {SinkNamespace.Address}:{SinkNamespace.Port}; function {AsyncSettings.FunctionName} created.");

            var payload = BenchFunction.Payload(settings.PayloadBytes);
            pool = new SignedRequestPool(settings.Workers, now => BenchFunction.EventRequest(lamina, payload, now));
            var starts = new StartLog(sink.ReportFile);
            using var load = new LoadGenerator(settings.Connections);

            // (2)
            var probe = new AcceptedEvents();
            // Paced at 1/s for 1 ms: exactly one send.
            var probed = await load.RunAsync(pool, 1, TimeSpan.FromMilliseconds(1), lamina.Process, Accepting(probe, 1), cancellationToken);
            if (probed.FirstError is { } refused)
            {
                throw new InvalidOperationException($"The first event was not accepted: {refused}");
            }

            if (probe.ToList() is not [var first] || !await starts.WaitForAsync([first.RequestId], TimeSpan.FromSeconds(60), cancellationToken))
            {
                throw new InvalidOperationException("The first event did not reach the sink within 60 s: check that Lamina runs functions " +
                                                    $"(egress on) and the sink's namespace.\n{lamina.Process.LogTail()}");
            }

            // (3)
            var environments = await GrowEnvironmentsAsync(load, lamina, starts, settings, cancellationToken);
            var warm = new AcceptedEvents();
            var warmup = LoadResult.Merge([await load.RunAsync(pool, settings.Workers, settings.Warmup, lamina.Process, Accepting(warm, null),
                cancellationToken)]);
            Say($"warm-up   {warmup.Throughput,8:N0} events/s accepted; waiting for the function to start all {warmup.Requests:N0}...");
            var drained = Stopwatch.StartNew();
            var warmed = await starts.WaitForAsync(warm.ToList().Select(e => e.RequestId), settings.DrainTimeout, cancellationToken);
            Say(warmed
                ? $"warm-up   drained in {drained.Elapsed.TotalSeconds:F1} s"
                : $"warm-up   not drained after {settings.DrainTimeout.TotalSeconds:F0} s; measuring anyway (the paced phase will queue behind it)");

            // (4)
            var paced = new AcceptedEvents();
            var pacedCores = CpuUsage.Start(settings.ServerCpus);
            var pacedLoad = LoadResult.Merge([await load.RunAsync(pool, settings.Workers, settings.PacedDuration, lamina.Process,
                Accepting(paced, settings.PacedRate), cancellationToken)]);
            var pacedBusy = pacedCores.BusyShare();
            var pacedEnd = AcceptedEvents.UnixTicksNow();
            await starts.WaitForAsync(paced.ToList().Select(e => e.RequestId), settings.DrainTimeout, cancellationToken);
            var pacedStarts = StartPhase.Measure(paced.ToList(), starts.Starts, pacedEnd);
            Say($"paced     {pacedLoad.Throughput,8:N0} events/s  202 p50 {pacedLoad.Latency.P50:F2} ms  enqueue-to-start warm p50 " +
                $"{pacedStarts.Warm.P50:F2} ms p99 {pacedStarts.Warm.P99:F2} ms max {pacedStarts.Warm.Max:F2} ms ({pacedStarts.Cold} cold)");

            // (5)
            var schema = await File.ReadAllTextAsync(Path.Combine(repo.Root, CommitFloor.SchemaFile), cancellationToken);
            var floorDir = Directory.CreateDirectory(Path.Combine(workDir, "floor")).FullName;
            var sealedBytes = Envelope.SealedSize(payload.Length);
            var floorOne = await CommitFloor.MeasureAsync(Path.Combine(floorDir, "one-writer.db"), schema, sealedBytes, 1, settings.FloorDuration,
                cancellationToken);
            var floorMany = await CommitFloor.MeasureAsync(Path.Combine(floorDir, "writers.db"), schema, sealedBytes, settings.Workers,
                settings.FloorDuration, cancellationToken);
            Say($"floor     {floorOne.Rate,8:N0} commits/s (1 writer), {floorMany.Rate:N0} commits/s ({settings.Workers} writers)");

            // (6)
            var saturated = new AcceptedEvents();
            var saturatedCores = CpuUsage.Start(settings.ServerCpus);
            var saturatedLoad = LoadResult.Merge([await load.RunAsync(pool, settings.Workers, settings.Duration, lamina.Process,
                Accepting(saturated, null), cancellationToken)]);
            var saturatedBusy = saturatedCores.BusyShare();
            var saturatedEnd = AcceptedEvents.UnixTicksNow();
            Say($"saturated {saturatedLoad.Throughput,8:N0} events/s  202 p50 {saturatedLoad.Latency.P50:F2} ms p99 {saturatedLoad.Latency.P99:F2} ms  " +
                $"errors {saturatedLoad.Errors}  Lamina CPU {saturatedLoad.ServerCpu:F2}, its core(s) {saturatedBusy:P0} busy; waiting for the backlog...");
            if ((saturatedLoad.FirstError ?? pacedLoad.FirstError) is { } error)
            {
                Say($"  first error: {error}");
            }

            await starts.WaitForAsync(saturated.ToList().Select(e => e.RequestId), settings.DrainTimeout, cancellationToken);
            var saturatedStarts = StartPhase.Measure(saturated.ToList(), starts.Starts, saturatedEnd);
            Say($"saturated backlog: {saturatedStarts.StartedDuringLoad:N0} of {saturatedStarts.Accepted:N0} started during the load, the last " +
                $"{saturatedStarts.DrainAfterLoad.TotalSeconds:F1} s after it; {saturatedStarts.NotStarted:N0} not started");

            // (7)
            var results = new AsyncResults(run.StartedAt, run.Clock.Elapsed, settings, run.Machine, fileSystem, (loadAtStart, LoadAverage()), sealedBytes, environments,
                warm.ToList().Count, saturatedLoad, saturatedBusy, pacedLoad, pacedBusy, floorOne, floorMany, pacedStarts, saturatedStarts,
                starts.Duplicates, probe.WithoutId + warm.WithoutId + paced.WithoutId + saturated.WithoutId, pool.Resigns);
            run.Publish("async", results, AsyncReport.Markdown(results), AsyncReport.Heading, settings.WriteDocs);

            var notStarted = saturatedStarts.NotStarted + pacedStarts.NotStarted;
            return run.Finish(results.TotalErrors > 0 || notStarted > 0
                ? $"{results.TotalErrors} requests failed and {notStarted} accepted events never started"
                : null);
        }
        finally
        {
            if (pool is not null)
            {
                await pool.DisposeAsync();
            }

            if (lamina is not null)
            {
                await lamina.DisposeAsync();
            }

            if (sink is not null)
            {
                await sink.DisposeAsync();
            }

            run.DeleteWorkDirIfValid();
        }
    }

    /// <summary>
    /// Grows the function's environments to as many as the pollers run events at once (64), 16 more per burst:
    /// bursts of events that hold their environment for <see cref="HoldSeconds"/>, so every event of a burst
    /// needs its own. Stops at the first full-size burst that needs no new environment. The pollers give each
    /// event they cannot hand a warm environment a new one, so leaving this to the saturated phase would put
    /// dozens of inits on Lamina's busy core at once. Returns the environments of the last burst.
    /// </summary>
    private static async Task<int> GrowEnvironmentsAsync(LoadGenerator load, ServerUnderTest lamina, StartLog starts, AsyncSettings settings,
        CancellationToken cancellationToken)
    {
        const int Step = 16, MaxBursts = 8;
        var target = new AsyncOptions().MaxInFlight;
        var spread = TimeSpan.FromMilliseconds(250);
        await using var holds = new SignedRequestPool(settings.Workers, now => BenchFunction.EventRequest(lamina, BenchFunction.HoldPayload(HoldSeconds), now));
        var used = 0;
        for (var (round, size) = (1, Math.Min(Step, target)); round <= MaxBursts; round++, size = Math.Min(size + Step, target))
        {
            var accepted = new AcceptedEvents();
            await load.RunAsync(holds, settings.Workers, spread, lamina.Process, Accepting(accepted, size / spread.TotalSeconds), cancellationToken);
            var events = accepted.ToList();
            await starts.WaitForAsync(events.Select(e => e.RequestId), settings.DrainTimeout, cancellationToken);
            var burst = StartPhase.Measure(events, starts.Starts, AcceptedEvents.UnixTicksNow());
            used = burst.Environments;
            Say($"grow      burst {round}: {events.Count} events on {used} environment(s), {burst.Cold} of them new");

            // Let the holds end, so the next burst finds every environment idle.
            await Task.Delay(TimeSpan.FromSeconds(HoldSeconds + 0.5), cancellationToken);
            if (size == target && burst.Cold == 0)
            {
                break;
            }
        }

        return used;
    }

    /// <summary>Long enough for a whole burst to be claimed while its first events still hold their environments.</summary>
    private const int HoldSeconds = 2;

    private static LoadOptions Accepting(AcceptedEvents into, double? ratePerSecond) =>
        new(HttpStatusCode.Accepted, ratePerSecond, into.Record);

    private static double LoadAverage() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

    private static void Say(string line) => BenchmarkRun.Say(line);
}
