using System.Diagnostics;

namespace Lamina.Benchmarks.ControlPlane;

/// <summary>
/// Control-plane reads, Lamina beside moto_server in one run.
/// </summary>
/// <remarks>
/// (1) Start Lamina (fresh data dir, port 0), moto_server and the echo server as child processes,
///     pinned to <see cref="ControlPlaneSettings.ServerCpus"/>; this process is the client.
/// (2) Create the same functions in Lamina and moto through their APIs; check both answer the two
///     reads with the same function and the same number of listed functions.
/// (3) Sign every request ahead: one <see cref="SignedRequestPool"/> per server and operation.
/// (4) Per operation, per server (echo first, as the client's ceiling): warm up, then a fixed-duration
///     closed loop with the same <see cref="LoadGenerator"/> settings; record throughput, latency and
///     the CPU the client and the server used.
/// (5) A sequential boto3 loop per server, for the latency an SDK caller sees.
/// (6) Print the report, keep the raw results under bench/results, update docs/benchmarks.md.
/// </remarks>
internal static class ControlPlaneBenchmark
{
    public static async Task<int> RunAsync(ControlPlaneSettings settings, CancellationToken cancellationToken)
    {
        var run = await BenchmarkRun.StartAsync("lamina-bench-", cancellationToken);
        var (startedAt, clock, repo, machine, workDir) = run;
        Say($"Client on CPU(s) {machine.ClientCpus}; servers on CPU(s) {(settings.ServerCpus.Length > 0 ? settings.ServerCpus : "any (not pinned)")}. " +
            $"Logs in {workDir}.");
        if (settings.ServerCpus.Length > 0 && machine.ClientCpus.Split(',').Intersect(settings.ServerCpus.Split(',')).Any())
        {
            Say("Warning: the client may run on the servers' CPU; run through bench/run.sh, which pins it to the other CPUs.");
        }

        ServerUnderTest? lamina = null, moto = null, echo = null;
        var pools = new List<SignedRequestPool>();
        try
        {
            var starting = Stopwatch.StartNew();
            var laminaStart = ServerLauncher.StartLaminaAsync(repo, settings, workDir, cancellationToken);
            var motoStart = ServerLauncher.StartMotoAsync(settings, workDir, cancellationToken);
            var echoStart = ServerLauncher.StartEchoAsync(settings, workDir, cancellationToken);
            await Task.WhenAll(Quietly(laminaStart), Quietly(motoStart), Quietly(echoStart));
            lamina = laminaStart.IsCompletedSuccessfully ? laminaStart.Result : null;
            moto = motoStart.IsCompletedSuccessfully ? motoStart.Result : null;
            echo = echoStart.IsCompletedSuccessfully ? echoStart.Result : null;
            await Task.WhenAll(laminaStart, motoStart, echoStart);
            Say($"Started Lamina at {lamina!.Endpoint}, moto at {moto!.Endpoint}, echo at {echo!.Endpoint} ({starting.Elapsed.TotalSeconds:F1} s).");

            var seeding = Stopwatch.StartNew();
            await Task.WhenAll(
                FunctionSeeder.SeedAsync(lamina, settings.Functions, settings.EnvironmentVariables, cancellationToken),
                FunctionSeeder.SeedAsync(moto, settings.Functions, settings.EnvironmentVariables, cancellationToken));
            var responseBytes = new Dictionary<string, int>();
            foreach (var server in new[] { lamina, moto })
            {
                var (getBytes, listBytes) = await FunctionSeeder.VerifyAsync(server, ReadOperation.All[0].UrlOn(server.Endpoint),
                    ReadOperation.All[1].UrlOn(server.Endpoint), settings.Functions, cancellationToken);
                responseBytes[$"{server.Name}/{ReadOperation.All[0].Name}"] = getBytes;
                responseBytes[$"{server.Name}/{ReadOperation.All[1].Name}"] = listBytes;
            }

            Say($"Created {settings.Functions} functions in each ({seeding.Elapsed.TotalSeconds:F1} s). Response sizes: " +
                string.Join(", ", responseBytes.Select(kv => $"{kv.Key} {kv.Value} B")));

            var phases = new List<(ReadOperation Operation, ServerUnderTest Server, SignedRequestPool Pool)>();
            foreach (var operation in ReadOperation.All)
            {
                var echoBytes = responseBytes[$"Lamina/{operation.Name}"];
                foreach (var server in new[] { echo, lamina, moto })
                {
                    if (settings.Targets.Contains(server.Name, StringComparer.OrdinalIgnoreCase))
                    {
                        var url = ReferenceEquals(server, echo) ? operation.EchoUrlOn(server.Endpoint, echoBytes) : operation.UrlOn(server.Endpoint);
                        var pool = new SignedRequestPool(settings.Workers, now => SignedRequest.Sign(HttpMethod.Get, url, server.Credentials, "lambda", now));
                        pools.Add(pool);
                        phases.Add((operation, server, pool));
                    }
                }
            }

            using var load = new LoadGenerator(settings.Connections);
            // Warm every server on every operation before measuring any: Lamina's tiered JIT finishes
            // optimizing in the background while the other servers are under load, as it would on a
            // server that has been up for a while; measuring right after a warm-up of the same
            // operation would catch it half-way (on one core, tier-1 code takes tens of seconds to arrive).
            foreach (var (operation, server, pool) in phases)
            {
                var warm = LoadResult.Merge([await load.RunAsync(pool, settings.Workers, EchoOr(server, echo, settings.Warmup, TimeSpan.FromSeconds(2)),
                    server.Process, cancellationToken)]);
                Say($"warm-up {operation.Name,-14} {server.Name,-7} {warm.Throughput,9:N0} req/s  errors {warm.Errors}");
            }

            // The measurement is taken in rounds, each visiting every phase for its share of the duration,
            // so a slow stretch of a shared machine lands on both servers instead of on one of them.
            var slices = phases.Select(_ => new List<LoadSlice>()).ToList();
            for (var round = 0; round < settings.Rounds; round++)
            {
                for (var i = 0; i < phases.Count; i++)
                {
                    var (_, server, pool) = phases[i];
                    slices[i].Add(await load.RunAsync(pool, settings.Workers,
                        EchoOr(server, echo, settings.Duration, TimeSpan.FromSeconds(5)) / settings.Rounds, server.Process, cancellationToken));
                }
            }

            var runs = new List<LoadRun>();
            for (var i = 0; i < phases.Count; i++)
            {
                var (operation, server, _) = phases[i];
                var result = LoadResult.Merge(slices[i]);
                runs.Add(new LoadRun(operation.Name, server.Name, result));
                Say($"{operation.Name,-14} {server.Name,-7} {result.Throughput,9:N0} req/s  p50 {result.Latency.P50,6:F2} ms  " +
                    $"p90 {result.Latency.P90,6:F2} ms  p99 {result.Latency.P99,6:F2} ms  errors {result.Errors}  " +
                    $"server CPU {result.ServerCpu:F2}  client CPU {result.ClientCpu:F2}");
                if (result.FirstError is not null)
                {
                    Say($"  first error: {result.FirstError}");
                }
            }

            var boto3 = new Dictionary<string, IReadOnlyList<Boto3Result>>();
            if (settings.Boto3Calls > 0)
            {
                foreach (var server in new[] { lamina, moto })
                {
                    var results = await Boto3Loop.RunAsync(repo, server, settings.Boto3Calls, cancellationToken);
                    boto3[server.Name] = results;
                    foreach (var r in results)
                    {
                        Say($"boto3 {r.Operation,-14} {server.Name,-7} p50 {r.Latency.P50,6:F2} ms  p99 {r.Latency.P99,6:F2} ms  ({r.Rate:N0} calls/s sequential)");
                    }
                }
            }

            var summary = new ControlPlaneResults(startedAt, clock.Elapsed, settings, machine, runs, boto3, responseBytes,
                pools.Sum(p => p.Resigns));
            run.Publish("control-plane", summary, ControlPlaneReport.Markdown(summary), ControlPlaneReport.Heading, settings.WriteDocs);

            return run.Finish(summary.TotalErrors > 0 ? $"{summary.TotalErrors} requests failed" : null);
        }
        finally
        {
            foreach (var pool in pools)
            {
                await pool.DisposeAsync();
            }

            foreach (var server in new[] { lamina, moto, echo })
            {
                if (server is not null)
                {
                    await server.DisposeAsync();
                }
            }

            run.DeleteWorkDirIfValid();
        }
    }

    /// <summary>The echo server only sets the ceiling and needs little warm-up: it gets at most <paramref name="echoCap"/>.</summary>
    private static TimeSpan EchoOr(ServerUnderTest server, ServerUnderTest echo, TimeSpan duration, TimeSpan echoCap) =>
        ReferenceEquals(server, echo) && duration > echoCap ? echoCap : duration;

    internal static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Observed (and rethrown) by the caller once every start has finished, so none is left running.
        }
    }

    private static void Say(string line) => BenchmarkRun.Say(line);
}
