using Lamina.Benchmarks.ControlPlane;

namespace Lamina.Benchmarks.Async;

/// <summary>Everything one run of the asynchronous-invocation benchmark measured.</summary>
/// <param name="FileSystem">Where Lamina's data directory and the floor's database lived.</param>
/// <param name="LoadAverages">/proc/loadavg's 1-minute figure at the start and at the end: how much else the shared machine ran.</param>
/// <param name="SealedBytes">The payload column of one queued event (the event sealed in its AES-GCM envelope).</param>
/// <param name="Saturated">The closed-loop phase: throughput is accepted events per second; latency is the 202's.</param>
/// <param name="Paced">The paced phase, for the 202's latency when the server is not saturated.</param>
/// <param name="Environments">Environments the last warm-up burst ran on: the working set the measured phases start with.</param>
/// <param name="WarmupEvents">Accepted during the closed-loop warm-up, all started before anything was measured.</param>
/// <param name="SaturatedBusy">How busy Lamina's CPU(s) were in the saturated phase, whatever ran there (1.0 = fully).</param>
/// <param name="Duplicates">Second reports of an already started event, over the whole run.</param>
/// <param name="WithoutId">202 answers without a request id (they cannot be matched to a start).</param>
internal sealed record AsyncResults(
    DateTimeOffset StartedAt,
    TimeSpan Took,
    AsyncSettings Settings,
    MachineInfo Machine,
    string FileSystem,
    (double Start, double End) LoadAverages,
    int SealedBytes,
    int Environments,
    int WarmupEvents,
    LoadResult Saturated,
    double SaturatedBusy,
    LoadResult Paced,
    double PacedBusy,
    FloorResult FloorOneWriter,
    FloorResult FloorConcurrent,
    StartPhase PacedStarts,
    StartPhase SaturatedStarts,
    int Duplicates,
    int WithoutId,
    int Resigns)
{
    /// <summary>Accepted events per second over the one-writer, one-row-per-commit rate.</summary>
    public double Ratio => FloorOneWriter.Rate == 0 ? 0 : Saturated.Throughput / FloorOneWriter.Rate;

    public long TotalErrors => Saturated.Errors + Paced.Errors + WithoutId;
}
