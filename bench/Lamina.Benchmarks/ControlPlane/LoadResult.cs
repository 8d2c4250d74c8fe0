namespace Lamina.Benchmarks.ControlPlane;

/// <summary>One fixed-duration closed-loop measurement against one server and operation.</summary>
/// <param name="Requests">Successful (HTTP 200) responses read to the end.</param>
/// <param name="Errors">Any other status or a transport failure.</param>
/// <param name="Elapsed">Wall time from the start until the last in-flight request finished.</param>
/// <param name="Latency">Over the successful requests.</param>
/// <param name="ClientCpu">Client process CPU time over wall time (1.0 = one core busy).</param>
/// <param name="ServerCpu">Server process CPU time over wall time, when the server is a child process.</param>
/// <param name="ResponseBytes">Body bytes of the successful responses.</param>
/// <param name="FirstError">The first failure seen, for the log.</param>
internal sealed record LoadResult(
    long Requests,
    long Errors,
    TimeSpan Elapsed,
    LatencySummary Latency,
    double ClientCpu,
    double? ServerCpu,
    long ResponseBytes,
    string? FirstError)
{
    public double Throughput => Requests / Elapsed.TotalSeconds;

    public double BytesPerResponse => Requests == 0 ? 0 : (double)ResponseBytes / Requests;

    /// <summary>Slices taken at different times, as if they were one run: counts and times add, latencies pool.</summary>
    public static LoadResult Merge(IReadOnlyList<LoadSlice> slices)
    {
        var samples = new long[slices.Sum(s => s.LatencyTicks.Length)];
        var offset = 0;
        foreach (var slice in slices)
        {
            slice.LatencyTicks.CopyTo(samples, offset);
            offset += slice.LatencyTicks.Length;
        }

        var elapsed = TimeSpan.FromTicks(slices.Sum(s => s.Elapsed.Ticks));
        var clientCpu = TimeSpan.FromTicks(slices.Sum(s => s.ClientCpu.Ticks));
        double? serverCpu = slices.All(s => s.ServerCpu is not null) ? TimeSpan.FromTicks(slices.Sum(s => s.ServerCpu!.Value.Ticks)) / elapsed : null;
        return new LoadResult(samples.Length, slices.Sum(s => s.Errors), elapsed, LatencySummary.FromTicks(samples), clientCpu / elapsed, serverCpu,
            slices.Sum(s => s.ResponseBytes), slices.Select(s => s.FirstError).FirstOrDefault(e => e is not null));
    }
}
