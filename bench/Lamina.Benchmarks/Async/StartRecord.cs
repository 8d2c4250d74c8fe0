namespace Lamina.Benchmarks.Async;

/// <summary>What the function reported when it started an event.</summary>
/// <param name="RequestId">The event's request id: the one Invoke answered with and the Runtime API handed the function.</param>
/// <param name="StartedTicks">When <c>/next</c> returned it, read by the function's <c>time.time()</c>, in 100 ns ticks since the Unix epoch.</param>
/// <param name="Environment">A random id the bootstrap picked at init: one per execution environment.</param>
/// <param name="Sequence">1 for an environment's first event, whose wait includes the cold start.</param>
internal sealed record StartRecord(string RequestId, long StartedTicks, string Environment, int Sequence)
{
    public bool IsCold => Sequence == 1;
}
