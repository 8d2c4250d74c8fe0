using Lamina.Benchmarks.ControlPlane;

namespace Lamina.Benchmarks.Async;

/// <summary>
/// Enqueue-to-start over one phase's events: from the client holding the 202 to the function's clock reading
/// when <c>/next</c> handed it the event. Both read the host's wall clock.
/// </summary>
/// <param name="Accepted">Events answered 202 in the phase.</param>
/// <param name="Started">Of those, how many the function reported starting (before the drain timeout).</param>
/// <param name="Cold">Started as their environment's first event (the wait includes creating the environment).</param>
/// <param name="Environments">Distinct environments that ran the phase's events.</param>
/// <param name="Warm">Milliseconds, events that found a running environment.</param>
/// <param name="ColdLatency">Milliseconds, cold events only (empty when there were none).</param>
/// <param name="BeforeAccepted">Events the function started before the client had read the 202 (negative waits).</param>
/// <param name="StartedDuringLoad">Events started before the phase's last send.</param>
/// <param name="DrainAfterLoad">From the phase's end to the last event's start.</param>
/// <param name="OverAMinute">Waited a minute or more: a failed first attempt (an init that overran its 10 s, say) is retried after 1 minute.</param>
internal sealed record StartPhase(
    int Accepted,
    int Started,
    int Cold,
    int Environments,
    LatencySummary Warm,
    LatencySummary ColdLatency,
    int BeforeAccepted,
    int StartedDuringLoad,
    TimeSpan DrainAfterLoad,
    int OverAMinute)
{
    public int NotStarted => Accepted - Started;

    /// <summary>Starts per second from the phase's start to its last start: the rate the function drained the queue.</summary>
    public double StartRate(TimeSpan load) => Started / (load + DrainAfterLoad).TotalSeconds;

    /// <param name="loadEndTicks">When the phase's senders stopped, in Unix-epoch ticks.</param>
    public static StartPhase Measure(IReadOnlyList<AcceptedEvent> accepted, IReadOnlyDictionary<string, StartRecord> starts, long loadEndTicks)
    {
        var warm = new List<double>(accepted.Count);
        var cold = new List<double>();
        var environments = new HashSet<string>(StringComparer.Ordinal);
        int beforeAccepted = 0, duringLoad = 0, overAMinute = 0;
        var lastStart = loadEndTicks;
        foreach (var e in accepted)
        {
            if (!starts.TryGetValue(e.RequestId, out var start))
            {
                continue;
            }

            var waitMs = (start.StartedTicks - e.AcceptedTicks) / (double)TimeSpan.TicksPerMillisecond;
            (start.IsCold ? cold : warm).Add(waitMs);
            environments.Add(start.Environment);
            beforeAccepted += waitMs < 0 ? 1 : 0;
            overAMinute += waitMs >= 60_000 ? 1 : 0;
            duringLoad += start.StartedTicks <= loadEndTicks ? 1 : 0;
            lastStart = Math.Max(lastStart, start.StartedTicks);
        }

        return new StartPhase(accepted.Count, warm.Count + cold.Count, cold.Count, environments.Count,
            LatencySummary.FromMilliseconds([.. warm]), LatencySummary.FromMilliseconds([.. cold]), beforeAccepted, duringLoad,
            TimeSpan.FromTicks(lastStart - loadEndTicks), overAMinute);
    }
}
