using System.Diagnostics;
using System.Globalization;
using Lamina.Benchmarks.ControlPlane;

namespace Lamina.Benchmarks.DataPlane;

internal sealed partial class DataPlaneBenchmark
{
    /// <summary>
    /// (4) Forced cold starts: each Lamina sample first changes an environment variable (a new revision of
    /// $LATEST, whose pool starts empty), then invokes once with the log tail for Lamina's Init Duration.
    /// The floor's samples are interleaved with Lamina's so noise falls on all of them. One unmeasured
    /// round first, so the first sample does not pay for cold page cache or Lamina's first-call JIT.
    /// </summary>
    private async Task<List<ColdRun>> ColdAsync(CancellationToken cancellationToken)
    {
        var runs = new List<ColdRun>();
        foreach (var runtime in _runtimes)
        {
            var samples = new Dictionary<string, List<double>>(StringComparer.Ordinal)
            {
                [Target.Lamina] = [], [Target.ColdBubblewrap] = [], [Target.ColdBare] = [], [Target.ColdInterpreter] = [],
            };
            var init = new List<double>();
            var errors = 0;
            for (var i = -1; i < _settings.ColdSamples; i++)
            {
                await _functions.SetVariableAsync(ColdFunction(runtime), "COLD_START", i.ToString(CultureInfo.InvariantCulture), cancellationToken);
                await Task.Delay(ColdSettle, cancellationToken);
                var watch = Stopwatch.StartNew();
                string? log;
                try
                {
                    (_, log) = await _functions.InvokeAsync(ColdFunction(runtime), BenchRuntime.EchoEvent, tailLog: true, cancellationToken);
                }
                catch (InvalidOperationException ex)
                {
                    // Counted, and the sample is skipped for every target.
                    errors++;
                    Say($"  cold start {i} of {runtime.Name} failed: {ex.Message}");
                    continue;
                }

                var laminaMs = watch.Elapsed.TotalMilliseconds;
                var initMs = LaminaFunctions.InitDuration(log)
                             ?? throw new InvalidOperationException($"The invoke after a configuration change was not a cold start:\n{log}");
                // Lamina refills its pools (/tmp volumes, network slots, parked launchers) once the cold start has answered:
                // the floor's sample must not pay for that work on the shared CPU, as Lamina's own does not.
                await Task.Delay(ColdSettle, cancellationToken);
                var bwrapMs = await TimeAsync(FloorUrl("cold", runtime, "?sandbox=bwrap"), cancellationToken);
                var bareMs = await TimeAsync(FloorUrl("cold", runtime, "?sandbox=none"), cancellationToken);
                var interpreterMs = await TimeAsync(FloorUrl("exec", runtime), cancellationToken);
                if (i < 0)
                {
                    continue;
                }

                samples[Target.Lamina].Add(laminaMs);
                init.Add(initMs);
                samples[Target.ColdBubblewrap].Add(bwrapMs);
                samples[Target.ColdBare].Add(bareMs);
                samples[Target.ColdInterpreter].Add(interpreterMs);
            }

            foreach (var (target, values) in samples)
            {
                var run = new ColdRun(runtime.Name, target, LatencySummary.FromMilliseconds([.. values]), values.Count,
                    target == Target.Lamina ? LatencySummary.FromMilliseconds([.. init]) : null, target == Target.Lamina ? errors : 0);
                runs.Add(run);
                Say($"cold {runtime.Name,-8} {target,-20} p50 {run.Latency.P50,7:F1} ms  p90 {run.Latency.P90,7:F1} ms  max {run.Latency.Max,7:F1} ms" +
                    (run.InitDuration is { } d ? $"  (Init Duration p50 {d.P50:F1} ms)" : ""));
            }
        }

        return runs;
    }

    private async Task<double> TimeAsync(Uri url, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        await PostAsync(url, BenchRuntime.EchoEvent, cancellationToken);
        var elapsed = watch.Elapsed.TotalMilliseconds;
        // The floor kills a cold runtime after answering; let it go before the next start.
        await Task.Delay(100, cancellationToken);
        return elapsed;
    }
}
