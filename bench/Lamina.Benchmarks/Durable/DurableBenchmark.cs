using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lamina.Benchmarks.ControlPlane;
using Microsoft.Data.Sqlite;

namespace Lamina.Benchmarks.Durable;

/// <summary>
/// Durable functions: Lamina beside the store's raw commit and the SDK testing package's local runner, in one run.
/// </summary>
/// <remarks>
/// (1) Start Lamina (fresh data dir, port 0) pinned to <see cref="DurableSettings.ServerCpus"/>; the functions'
///     sandboxes inherit that pinning. Create a role with the durable execution policy and one nodejs20.x
///     function running bench/durable/handlers.mjs with the official SDK.
/// (2) Warm up (cold start, JIT), then size one step's checkpoint from Lamina's database: the bytes its
///     commit writes (operation row, two history events, the execution row).
/// (3) Per-step rounds: a 0-step and an N-step execution (synchronous invoke, wall time at the client),
///     then N raw commits of a row that size (<see cref="RawCommitFloor"/>). Per step = (T(N) - T(0)) / N;
///     the ratio to the round's mean commit is taken per round, and the median reported.
/// (4) Throughput: warm a pool of environments with one small execution per slot, then start all the
///     concurrent executions together; steps/s = executions x steps / wall time until the last closes.
/// (5) Timers: executions start spread over the stagger, each waits 1 or 2 s; lateness against the wait's
///     scheduled end (WaitStarted.ScheduledEndTimestamp), to the timer completing the wait (WaitSucceeded)
///     and to user code running again (a step's Date.now()).
/// (6) The same three phases of the same handler under LocalDurableTestRunner (bench/durable/local-runner.mjs).
/// (7) Print the report, keep raw results under bench/results, update docs/benchmarks.md.
/// </remarks>
internal static class DurableBenchmark
{
    public static async Task<int> RunAsync(DurableSettings settings, CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var repo = RepoPaths.Find();
        var benchDurable = Path.Combine(repo.Root, "bench", "durable");
        var machine = await MachineInfo.CollectAsync(repo, cancellationToken);
        var nodeVersion = await NodeVersionAsync(cancellationToken);
        var workDir = Directory.CreateTempSubdirectory("lamina-bench-durable-").FullName;
        var loadAtStart = LoadAverage();
        Say($"Client and local runner on CPU(s) {machine.ClientCpus}; Lamina and its functions on CPU(s) " +
            $"{(settings.ServerCpus.Length > 0 ? settings.ServerCpus : "any (not pinned)")}. Logs in {workDir}.");

        ServerUnderTest? lamina = null;
        var keepLogs = true;
        try
        {
            var checkpointBytes = 0;
            var floorMeans = new List<double>();
            var floorTicks = new List<long>();
            var laminaSteps = new List<StepRound>();
            var localSteps = new List<StepRound>();
            ConcurrentRun? laminaConcurrent = null, localConcurrent = null;
            List<WaitSample> laminaWaits = [], localWaits = [];

            if (settings.Measures("lamina"))
            {
                // (1)
                lamina = await ServerLauncher.StartLaminaAsync(repo,
                    new ControlPlaneSettings { ServerCpus = settings.ServerCpus, LaminaExecutable = settings.LaminaExecutable }, workDir, cancellationToken);
                Say($"Started Lamina at {lamina.Endpoint}.");
                using var client = new LaminaDurableClient(lamina.Endpoint, lamina.Credentials);
                var role = await client.CreateDurableRoleAsync(DurableSettings.RoleName, cancellationToken);
                await client.CreateFunctionAsync(DurableSettings.FunctionName, role, HandlerPackage.Handler, HandlerPackage.Build(benchDurable),
                    settings.MemoryMb, cancellationToken);

                // (2)
                var warm = Stopwatch.StartNew();
                var sized = await client.InvokeAsync(DurableSettings.FunctionName, Steps(settings.Steps), cancellationToken);
                // Until the tiered JIT has optimized the checkpoint path: on one busy core that takes tens of seconds of
                // calls (as in the other harnesses); measured before, the per-step rounds ran partly on unoptimized code.
                for (var i = 0; i < 3 || warm.Elapsed < settings.Warmup; i++)
                {
                    await client.InvokeAsync(DurableSettings.FunctionName, Steps(settings.Steps), cancellationToken);
                    await client.InvokeAsync(DurableSettings.FunctionName, Steps(0), cancellationToken);
                }

                checkpointBytes = StepCheckpointBytes(Path.Combine(workDir, "lamina-data", "lamina.db"), sized.Arn, settings.Steps);
                Say($"Warmed up in {warm.Elapsed.TotalSeconds:F1} s; one step's checkpoint writes about {checkpointBytes} bytes.");

                // (3)
                await using var floor = await RawCommitFloor.OpenAsync(Path.Combine(workDir, "floor.db"), checkpointBytes, cancellationToken);
                // Past the first wrap of the WAL (1,000 pages), as Lamina's own database is after the warm-up: appending
                // to a growing WAL file costs an ext4 journal commit per fsync, several times what rewriting it does.
                floor.Commit(1500);
                for (var round = 0; round < settings.Rounds; round++)
                {
                    var (cpu0, node0) = (lamina.Process.CpuTime, ProcessTreeCpu.Of(lamina.Process.Pid, "node"));
                    var baseMs = await TimedAsync(() => client.InvokeAsync(DurableSettings.FunctionName, Steps(0), cancellationToken));
                    var (cpu1, node1) = (lamina.Process.CpuTime, ProcessTreeCpu.Of(lamina.Process.Pid, "node"));
                    var fullMs = await TimedAsync(() => client.InvokeAsync(DurableSettings.FunctionName, Steps(settings.Steps), cancellationToken));
                    var (cpu2, node2) = (lamina.Process.CpuTime, ProcessTreeCpu.Of(lamina.Process.Pid, "node"));
                    var ticks = floor.Commit(settings.Steps);
                    floorTicks.AddRange(ticks);
                    floorMeans.Add(ticks.Average() * 1000.0 / Stopwatch.Frequency);
                    laminaSteps.Add(new StepRound(settings.Steps, baseMs, fullMs, (cpu1 - cpu0).TotalMilliseconds, (cpu2 - cpu1).TotalMilliseconds,
                        (node1 - node0).TotalMilliseconds, (node2 - node1).TotalMilliseconds));
                    Say($"round {round + 1}: Lamina {laminaSteps[^1].PerStepMs:F2} ms/step, CPU {laminaSteps[^1].ServerCpuPerStepMs:F2} ms Lamina + " +
                        $"{laminaSteps[^1].FunctionCpuPerStepMs:F2} ms function " +
                        $"(0 steps {baseMs:F0} ms, {settings.Steps} steps {fullMs:F0} ms); " +
                        $"raw commit {floorMeans[^1]:F2} ms; ratio {laminaSteps[^1].PerStepMs / floorMeans[^1]:F2}");
                }

                // (4)
                warm.Restart();
                await Task.WhenAll(Enumerable.Range(0, settings.Concurrency)
                    .Select(_ => client.InvokeAsync(DurableSettings.FunctionName, Steps(1), cancellationToken)));
                Say($"Warmed {settings.Concurrency} environments in {warm.Elapsed.TotalSeconds:F1} s.");
                var cpuBefore = lamina.Process.CpuTime;
                var wall = Stopwatch.StartNew();
                await Task.WhenAll(Enumerable.Range(0, settings.Concurrency)
                    .Select(_ => client.InvokeAsync(DurableSettings.FunctionName, Steps(settings.ConcurrentSteps), cancellationToken)));
                var wallMs = wall.Elapsed.TotalMilliseconds;
                laminaConcurrent = new ConcurrentRun(settings.Concurrency, settings.ConcurrentSteps, wallMs,
                    (lamina.Process.CpuTime - cpuBefore).TotalMilliseconds / wallMs);
                Say($"Lamina: {settings.Concurrency} x {settings.ConcurrentSteps} steps in {wallMs:F0} ms = {laminaConcurrent.StepsPerSecond:F0} steps/s " +
                    $"(Lamina process CPU {laminaConcurrent.ServerCpu:F2}).");

                // (5)
                laminaWaits = await LaminaWaitsAsync(client, settings, cancellationToken);
                Say($"Lamina timers: {Lateness(laminaWaits)}.");
            }

            // (6)
            if (settings.Measures("local"))
            {
                var steps = await LocalRunner.RunAsync(benchDurable, new JsonObject
                {
                    ["phase"] = "steps", ["n"] = settings.Steps, ["rounds"] = settings.Rounds,
                }, cancellationToken);
                localSteps = [.. steps["rounds"]!.AsArray().Select(r => new StepRound(settings.Steps, r!["baseMs"]!.GetValue<double>(), r["fullMs"]!.GetValue<double>()))];
                Say($"Local runner: {MedianPerStep(localSteps):F2} ms/step (median of {localSteps.Count} rounds).");

                var concurrent = await LocalRunner.RunAsync(benchDurable, new JsonObject
                {
                    ["phase"] = "concurrent", ["executions"] = settings.Concurrency, ["n"] = settings.ConcurrentSteps, ["warmupN"] = 1,
                }, cancellationToken);
                localConcurrent = new ConcurrentRun(settings.Concurrency, settings.ConcurrentSteps, concurrent["wallMs"]!.GetValue<double>(), null);
                Say($"Local runner: {settings.Concurrency} x {settings.ConcurrentSteps} steps in {localConcurrent.WallMs:F0} ms = " +
                    $"{localConcurrent.StepsPerSecond:F0} steps/s.");

                var waits = await LocalRunner.RunAsync(benchDurable, new JsonObject
                {
                    ["phase"] = "waits", ["executions"] = settings.Waits, ["staggerMs"] = settings.WaitStagger.TotalMilliseconds,
                    ["seconds"] = new JsonArray([.. settings.WaitSeconds.Select(s => (JsonNode)s)]),
                }, cancellationToken);
                localWaits = [.. waits["samples"]!.AsArray().Select(s => new WaitSample(s!["seconds"]!.GetValue<int>(), s["scheduledEndMs"]!.GetValue<double>(),
                    s["firedMs"]!.GetValue<double>(), s["resumedMs"]!.GetValue<double>()))];
                Say($"Local runner timers: {Lateness(localWaits)}.");
            }

            // (7)
            var results = new DurableResults(startedAt, clock.Elapsed, settings, machine, nodeVersion, checkpointBytes, floorMeans,
                LatencySummary.FromTicks([.. floorTicks]), laminaSteps, localSteps, laminaConcurrent, localConcurrent, laminaWaits, localWaits,
                $"{loadAtStart} at the start, {LoadAverage()} at the end");
            var markdown = DurableReport.Markdown(results);
            Console.WriteLine();
            Console.WriteLine(markdown);
            SaveRaw(repo, results, markdown);
            if (settings.WriteDocs)
            {
                ControlPlaneReport.UpdateDocs(repo.BenchmarksDoc, DurableReport.Heading, markdown);
                Say($"Updated {Path.GetRelativePath(repo.Root, repo.BenchmarksDoc)}.");
            }

            Say($"Done in {clock.Elapsed.TotalSeconds:F0} s.");
            keepLogs = false;
            return 0;
        }
        finally
        {
            if (lamina is not null)
            {
                await lamina.DisposeAsync();
            }

            if (!keepLogs)
            {
                TryDelete(workDir);
            }
        }
    }

    /// <summary>The 1-minute load average: on a shared machine, how many other runnable threads the run competed with.</summary>
    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    private static JsonObject Steps(int n) => new() { ["kind"] = "steps", ["n"] = n };

    private static double MedianPerStep(IEnumerable<StepRound> rounds) => DurableResults.Median(rounds.Select(r => r.PerStepMs));

    private static async Task<double> TimedAsync(Func<Task> action)
    {
        var start = Stopwatch.GetTimestamp();
        await action();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    /// <summary>Starts the timer phase's executions spread over the stagger and reads each one's wait from its history.</summary>
    private static async Task<List<WaitSample>> LaminaWaitsAsync(LaminaDurableClient client, DurableSettings settings, CancellationToken cancellationToken)
    {
        var samples = await Task.WhenAll(Enumerable.Range(0, settings.Waits).Select(async i =>
        {
            await Task.Delay(settings.WaitStagger * i / settings.Waits, cancellationToken);
            var seconds = settings.WaitSeconds[i % settings.WaitSeconds.Count];
            var done = await client.InvokeAsync(DurableSettings.FunctionName, new JsonObject { ["kind"] = "wait", ["seconds"] = seconds }, cancellationToken);
            return (seconds, done);
        }));
        var list = new List<WaitSample>();
        foreach (var (seconds, done) in samples)
        {
            var history = await client.HistoryAsync(done.Arn, cancellationToken);
            var started = history.First(e => e["EventType"]!.GetValue<string>() == "WaitStarted");
            var succeeded = history.First(e => e["EventType"]!.GetValue<string>() == "WaitSucceeded");
            list.Add(new WaitSample(seconds, LaminaDurableClient.EpochMs(started["WaitStartedDetails"]!["ScheduledEndTimestamp"]!),
                LaminaDurableClient.EpochMs(succeeded["EventTimestamp"]!), done.Result["resumedAt"]!.GetValue<double>()));
        }

        return list;
    }

    private static string Lateness(List<WaitSample> waits)
    {
        var fired = LatencySummary.FromMilliseconds([.. waits.Select(w => w.FiredLateMs)]);
        var resumed = LatencySummary.FromMilliseconds([.. waits.Select(w => w.ResumedLateMs)]);
        return string.Create(CultureInfo.InvariantCulture,
            $"{waits.Count} waits; timer late p50 {fired.P50:F0} ms p99 {fired.P99:F0} ms; code resumed late p50 {resumed.P50:F0} ms p99 {resumed.P99:F0} ms max {resumed.Max:F0} ms");
    }

    /// <summary>
    /// The bytes one step's commit writes, from Lamina's database: a step operation row, two history
    /// events (started, succeeded) and the execution row it updates (text and blob lengths, 8 bytes per integer).
    /// </summary>
    private static int StepCheckpointBytes(string database, string arn, int steps)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly }.ToString());
        connection.Open();
        double Scalar(string sql)
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            cmd.Parameters.AddWithValue("$arn", arn);
            return Convert.ToDouble(cmd.ExecuteScalar() ?? 0, CultureInfo.InvariantCulture);
        }

        var operation = Scalar("SELECT avg(length(arn) + length(id) + length(type) + coalesce(length(sub_type), 0) + coalesce(length(name), 0) + " +
                               "length(status) + length(details) + 40) FROM durable_operations WHERE arn = $arn AND type = 'STEP'");
        // 2 events per step, 3 more for the execution (started, invocation completed, succeeded).
        var events = Scalar("SELECT avg(length(arn) + 16 + length(event)) FROM durable_history WHERE arn = $arn");
        var execution = Scalar("SELECT length(arn) + length(account_id) + length(function_name) + length(version) + length(name) + length(status) + " +
                               "length(input) + length(input_hash) + coalesce(length(result), 0) + coalesce(length(token), 0) + 160 " +
                               "FROM durable_executions WHERE arn = $arn");
        return (int)Math.Round(operation + (2 * events) + execution);
    }

    private static async Task<string> NodeVersionAsync(CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("node", "--version") { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        var version = (await process.StandardOutput.ReadToEndAsync(cancellationToken)).Trim();
        await process.WaitForExitAsync(cancellationToken);
        return version;
    }

    private static void SaveRaw(RepoPaths repo, DurableResults results, string markdown)
    {
        Directory.CreateDirectory(repo.ResultsDir);
        var stem = Path.Combine(repo.ResultsDir, $"durable-{results.StartedAt.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
        File.WriteAllText(stem + ".md", markdown);
        File.WriteAllText(stem + ".json", JsonSerializer.Serialize(results, RawJsonOptions));
    }

    private static readonly JsonSerializerOptions RawJsonOptions = new() { WriteIndented = true };

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // A sandbox may still hold a file for a moment; the OS cleans temp eventually.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void Say(string line) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");
}
