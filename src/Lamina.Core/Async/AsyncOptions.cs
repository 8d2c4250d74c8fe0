using System.ComponentModel.DataAnnotations;

namespace Lamina.Core.Async;

/// <summary>Settings of asynchronous invocation.</summary>
internal sealed class AsyncOptions
{
    /// <summary>
    /// Divides every async delay (retry waits, throttle backoff, maximum event age) for tests and demos:
    /// 60 turns AWS's 1- and 2-minute retry waits into 1 and 2 seconds.
    /// </summary>
    [Range(1, 100_000)]
    public double TimeScale { get; set; } = 1;

    /// <summary>Events processed at once by this node's pollers.</summary>
    [Range(1, 10_000)]
    public int MaxInFlight { get; set; } = 64;

    /// <summary>At most this many events of one function per claim, so a flooded function cannot starve the others.</summary>
    [Range(1, 1000)]
    public int PerFunctionPerClaim { get; set; } = 4;

    /// <summary>How long a claim holds an event: longer than the longest invocation (900 s) plus retries of platform work.</summary>
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(16);

    /// <summary>Async payload limit (AWS: 1 MB).</summary>
    public const int MaxPayload = 1_048_576;

    /// <summary>AWS's defaults: 2 retries, 6 hours.</summary>
    public const int DefaultMaximumRetryAttempts = 2;

    public const int DefaultMaximumEventAgeSeconds = 21_600;

    public TimeSpan Scaled(TimeSpan delay) => delay / TimeScale;
}
