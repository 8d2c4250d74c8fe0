namespace Lamina.Benchmarks.ControlPlane;

/// <summary>
/// What one fixed-duration stretch of closed-loop load produced, raw: slices of the same server and
/// operation taken at different times merge into one <see cref="LoadResult"/>.
/// </summary>
/// <param name="LatencyTicks">Stopwatch ticks of every successful (HTTP 200) request.</param>
/// <param name="Errors">Any other status or a transport failure.</param>
/// <param name="Elapsed">Wall time from the start until the last in-flight request finished.</param>
/// <param name="ClientCpu">This process's CPU time used during the slice.</param>
/// <param name="ServerCpu">Server process CPU time used during the slice, when the server is a child process.</param>
/// <param name="ResponseBytes">Body bytes of the successful responses.</param>
/// <param name="FirstError">The first failure seen, for the log.</param>
internal sealed record LoadSlice(
    long[] LatencyTicks,
    long Errors,
    TimeSpan Elapsed,
    TimeSpan ClientCpu,
    TimeSpan? ServerCpu,
    long ResponseBytes,
    string? FirstError);
