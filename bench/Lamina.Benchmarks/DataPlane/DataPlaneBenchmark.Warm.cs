using System.Globalization;
using Lamina.Benchmarks.ControlPlane;

namespace Lamina.Benchmarks.DataPlane;

internal sealed partial class DataPlaneBenchmark
{
    /// <summary>
    /// (3) Echo, floor and Lamina per runtime and concurrency, under identical closed loops: all warmed up
    /// first (Lamina's tiered JIT finishes while the others run; every environment exists), then measured
    /// in interleaved rounds so a slow stretch of the shared machine falls on every target.
    /// </summary>
    private async Task<List<WarmRun>> WarmAsync(Dictionary<string, int> responseBytes, CancellationToken cancellationToken)
    {
        var phases = new List<(BenchRuntime Runtime, int Concurrency, string Target, ServerUnderTest Server, SignedRequestPool Pool)>();
        var loads = _settings.Concurrency.Distinct().ToDictionary(c => c, c => new LoadGenerator(c));
        try
        {
            foreach (var runtime in _runtimes)
            {
                foreach (var concurrency in _settings.Concurrency.Distinct())
                {
                    var echoUrl = new Uri(_echo.Endpoint,
                        $"/invoke?{EchoServer.SizeParameter}={responseBytes[runtime.Name].ToString(CultureInfo.InvariantCulture)}");
                    var floorUrl = FloorUrl("invoke", runtime);
                    phases.Add((runtime, concurrency, Target.Echo, _echo, new SignedRequestPool(concurrency,
                        now => SignedRequest.Sign(HttpMethod.Post, echoUrl, _echo.Credentials, "lambda", now, BenchRuntime.EchoEvent, "application/json"))));
                    phases.Add((runtime, concurrency, Target.Floor, _floor, new SignedRequestPool(concurrency,
                        now => SignedRequest.Sign(HttpMethod.Post, floorUrl, _floor.Credentials, "lambda", now, BenchRuntime.EchoEvent, "application/json"))));
                    phases.Add((runtime, concurrency, Target.Lamina, _lamina, new SignedRequestPool(concurrency,
                        now => _functions.SignInvoke(WarmFunction(runtime), BenchRuntime.EchoEvent, now))));
                }
            }

            foreach (var (runtime, concurrency, target, server, pool) in phases)
            {
                var warm = LoadResult.Merge([await loads[concurrency].RunAsync(pool, concurrency,
                    target == Target.Echo ? Min(_settings.Warmup, TimeSpan.FromSeconds(2)) : _settings.Warmup, server.Process, cancellationToken)]);
                Say($"warm-up {runtime.Name,-8} c={concurrency,-2} {target,-6} {warm.Throughput,8:N0} req/s  errors {warm.Errors}");
            }

            var slices = phases.Select(_ => new List<LoadSlice>()).ToList();
            var servers = new CpuSchedule[phases.Count];
            var relays = new CpuSchedule[phases.Count];
            for (var round = 0; round < _settings.Rounds; round++)
            {
                for (var i = 0; i < phases.Count; i++)
                {
                    var (runtime, concurrency, target, server, pool) = phases[i];
                    var duration = (target == Target.Echo ? Min(_settings.Duration, TimeSpan.FromSeconds(5)) : _settings.Duration) / _settings.Rounds;
                    var runtimePids = RuntimeProcesses(runtime, target);
                    var server0 = CpuSnapshot.Take([server.Process.Pid]);
                    var runtimes0 = CpuSnapshot.Take(runtimePids);
                    slices[i].Add(await loads[concurrency].RunAsync(pool, concurrency, duration, server.Process, cancellationToken));
                    servers[i] += CpuSnapshot.Take([server.Process.Pid]).Since(server0);
                    relays[i] += CpuSnapshot.Take(runtimePids).Since(runtimes0);
                }
            }

            var runs = new List<WarmRun>();
            for (var i = 0; i < phases.Count; i++)
            {
                var (runtime, concurrency, target, _, _) = phases[i];
                var result = LoadResult.Merge(slices[i]);
                var run = new WarmRun(runtime.Name, concurrency, target, result, servers[i], relays[i]);
                runs.Add(run);
                Say($"{runtime.Name,-8} c={concurrency,-2} {target,-6} {result.Throughput,8:N0} req/s  p50 {result.Latency.P50,6:F3} ms  " +
                    $"p90 {result.Latency.P90,6:F3} ms  p99 {result.Latency.P99,6:F3} ms  errors {result.Errors}  per request: server CPU " +
                    $"{run.PerRequest(run.Server.Run):F0} µs, wait {run.PerRequest(run.Server.Wait):F0} µs; runtime CPU {run.PerRequest(run.Runtimes.Run):F0} µs, " +
                    $"wait {run.PerRequest(run.Runtimes.Wait):F0} µs");
                if (result.FirstError is not null)
                {
                    Say($"  first error: {result.FirstError}");
                }
            }

            return runs;
        }
        finally
        {
            foreach (var phase in phases)
            {
                await phase.Pool.DisposeAsync();
            }

            foreach (var load in loads.Values)
            {
                load.Dispose();
            }
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>The runtime processes a target relays to: Lamina's environments of the warm function, or the floor's warm runtimes.</summary>
    private List<int> RuntimeProcesses(BenchRuntime runtime, string target) => target switch
    {
        Target.Lamina => LaminaRuntimeProcesses(WarmFunction(runtime)),
        Target.Floor => [.. Procfs.AllPids().Where(pid => Procfs.Variable(pid, FloorLauncher.MarkerVariable) ==
                                                         FloorLauncher.Marker(runtime, FloorSandbox.None, ownCgroup: false) &&
                                                         Procfs.DescendsFrom(pid, _floor.Process.Pid))],
        _ => [],
    };
}
