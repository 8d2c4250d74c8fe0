using System.ComponentModel.DataAnnotations;

namespace Lamina.Core.Invoke;

/// <summary>Operator settings of the data plane.</summary>
internal sealed class InvokeOptions
{
    public const string Section = "Invoke";

    /// <summary>Idle environments are reclaimed after this (AWS keeps them for minutes; default 10 min).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>An environment gets no new work after this age and is shut down gracefully (AWS: about 14 h).</summary>
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromHours(14);

    /// <summary>The Init phase limit (AWS: 10 s; an init that overruns is retried in the invoke phase).</summary>
    public TimeSpan InitTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often idle and expired environments are looked for.</summary>
    public TimeSpan ReclaimInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Synchronous invocations wait at most this long for a result before the function's own timeout (900 s) applies.</summary>
    [Range(1, 10_000)]
    public int MaxEnvironmentsPerVersion { get; set; } = 1000;
}
