using Lamina.Benchmarks.ControlPlane;

namespace Lamina.Benchmarks.Async;

/// <summary>One raw commit loop: single-row transactions made durable by <paramref name="Writers"/> writers.</summary>
/// <param name="Latency">Per commit, from asking for the write lock to the commit's return.</param>
internal sealed record FloorResult(int Writers, long Commits, TimeSpan Elapsed, LatencySummary Latency)
{
    public double Rate => Commits / Elapsed.TotalSeconds;
}
