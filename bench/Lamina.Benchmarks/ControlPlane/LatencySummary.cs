using System.Diagnostics;

namespace Lamina.Benchmarks.ControlPlane;

/// <summary>Latency percentiles in milliseconds (nearest rank over every recorded sample).</summary>
internal sealed record LatencySummary(double P50, double P90, double P99, double Max, double Mean)
{
    public static LatencySummary Empty { get; } = new(0, 0, 0, 0, 0);

    /// <summary>Sorts <paramref name="ticks"/> (Stopwatch ticks) in place and reads the percentiles.</summary>
    public static LatencySummary FromTicks(long[] ticks)
    {
        if (ticks.Length == 0)
        {
            return Empty;
        }

        Array.Sort(ticks);
        double total = 0;
        foreach (var t in ticks)
        {
            total += t;
        }

        return new LatencySummary(Ms(Rank(ticks, 0.50)), Ms(Rank(ticks, 0.90)), Ms(Rank(ticks, 0.99)), Ms(ticks[^1]), Ms(total / ticks.Length));
    }

    public static LatencySummary FromMilliseconds(double[] values)
    {
        if (values.Length == 0)
        {
            return Empty;
        }

        Array.Sort(values);
        return new LatencySummary(Rank(values, 0.50), Rank(values, 0.90), Rank(values, 0.99), values[^1], values.Average());
    }

    private static T Rank<T>(T[] sorted, double quantile) =>
        sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static double Ms(double ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
