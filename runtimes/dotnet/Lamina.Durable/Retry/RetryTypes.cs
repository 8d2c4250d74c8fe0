namespace Lamina.Durable;

/// <summary>How a computed delay is randomised.</summary>
public enum JitterStrategy
{
    /// <summary>The delay as computed.</summary>
    None,

    /// <summary>Uniform in [0, delay).</summary>
    Full,

    /// <summary>Uniform in [delay/2, delay).</summary>
    Half,
}

/// <summary>A retry strategy's answer: retry after <see cref="Delay"/> (whole seconds, at least 1), or give up.</summary>
public readonly record struct RetryDecision(bool ShouldRetry, TimeSpan Delay)
{
    public static RetryDecision Stop => default;

    public static RetryDecision After(TimeSpan delay) => new(true, delay);
}

/// <summary>Decides whether a failed step runs again; <paramref name="attemptsMade"/> counts the attempt that just failed.</summary>
public delegate RetryDecision RetryStrategy(Exception error, int attemptsMade);

/// <summary>Whether to poll again (and after how long) in <c>WaitForConditionAsync</c>.</summary>
public readonly record struct WaitDecision(bool ShouldContinue, TimeSpan Delay)
{
    public static WaitDecision Done => default;

    public static WaitDecision After(TimeSpan delay) => new(true, delay);
}

/// <summary>Given the state the check returned and the attempts made, decides whether to poll again.</summary>
public delegate WaitDecision WaitStrategy<in TState>(TState state, int attemptsMade);

/// <summary>Exponential back-off, as the official SDK's <c>createRetryStrategy</c>; defaults are its defaults.</summary>
public sealed record RetryStrategyOptions
{
    /// <summary>Attempts in all, the first included.</summary>
    public int MaxAttempts { get; init; } = 3;
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(5);
    public double BackoffRate { get; init; } = 2;
    public JitterStrategy Jitter { get; init; } = JitterStrategy.Full;

    /// <summary>Retry when the message matches one of these. With none of the three filters set, every error is retried.</summary>
    public IReadOnlyList<System.Text.RegularExpressions.Regex>? RetryableErrors { get; init; }

    /// <summary>Retry when the error is one of these types (or derives from one).</summary>
    public IReadOnlyList<Type>? RetryableErrorTypes { get; init; }

    /// <summary>Retry when this returns true.</summary>
    public Func<Exception, bool>? IsRetryable { get; init; }

    /// <summary>Source of jitter; <see cref="Random.Shared"/> when null.</summary>
    public Random? Random { get; init; }
}

/// <summary>Linear back-off, as the official SDK's <c>createLinearRetryStrategy</c>.</summary>
public sealed record LinearRetryStrategyOptions
{
    public int MaxAttempts { get; init; } = 6;
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan Increment { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(5);
    public JitterStrategy Jitter { get; init; } = JitterStrategy.Full;
    public IReadOnlyList<System.Text.RegularExpressions.Regex>? RetryableErrors { get; init; }
    public IReadOnlyList<Type>? RetryableErrorTypes { get; init; }
    public Func<Exception, bool>? IsRetryable { get; init; }
    public Random? Random { get; init; }
}

/// <summary>Polling back-off for <c>WaitForConditionAsync</c>, as the official SDK's <c>createWaitStrategy</c>.</summary>
public sealed record WaitStrategyOptions<TState>
{
    /// <summary>True while the condition is not yet met.</summary>
    public required Func<TState, bool> ShouldContinuePolling { get; init; }
    public int MaxAttempts { get; init; } = 60;
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(300);
    public double BackoffRate { get; init; } = 1.5;
    public JitterStrategy Jitter { get; init; } = JitterStrategy.Full;
    public Random? Random { get; init; }
}
