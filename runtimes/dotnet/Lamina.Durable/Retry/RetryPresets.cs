using System.Text.RegularExpressions;

namespace Lamina.Durable;

/// <summary>Ready-made retry strategies and the builders behind them (the official SDK's <c>retryPresets</c>).</summary>
public static class RetryPresets
{
    /// <summary>6 attempts; 5 s doubling up to 60 s; full jitter; whole seconds, at least 1. Used when a step names none.</summary>
    public static RetryStrategy Default { get; } = Exponential(new RetryStrategyOptions
    {
        MaxAttempts = 6,
        InitialDelay = TimeSpan.FromSeconds(5),
        MaxDelay = TimeSpan.FromSeconds(60),
        BackoffRate = 2,
        Jitter = JitterStrategy.Full,
    });

    /// <summary>6 attempts; 1 s, 2 s, 3 s … without jitter.</summary>
    public static RetryStrategy Linear { get; } = CreateLinear(new LinearRetryStrategyOptions { Jitter = JitterStrategy.None });

    /// <summary>One attempt: the first failure is final.</summary>
    public static RetryStrategy NoRetry { get; } = Exponential(new RetryStrategyOptions { MaxAttempts = 1 });

    /// <summary>Delay = min(initial × rate^(attempts−1), max), jittered, rounded to whole seconds, at least 1.</summary>
    public static RetryStrategy Exponential(RetryStrategyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return (error, attemptsMade) =>
        {
            if (attemptsMade >= options.MaxAttempts ||
                !IsRetryable(error, options.RetryableErrors, options.RetryableErrorTypes, options.IsRetryable))
            {
                return RetryDecision.Stop;
            }

            var baseDelay = Math.Min(options.InitialDelay.TotalSeconds * Math.Pow(options.BackoffRate, attemptsMade - 1),
                options.MaxDelay.TotalSeconds);
            return RetryDecision.After(FinalDelay(baseDelay, options.Jitter, options.Random));
        };
    }

    /// <summary>Delay = min(initial + increment × (attempts−1), max), jittered, rounded to whole seconds, at least 1.</summary>
    public static RetryStrategy CreateLinear(LinearRetryStrategyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return (error, attemptsMade) =>
        {
            if (attemptsMade >= options.MaxAttempts ||
                !IsRetryable(error, options.RetryableErrors, options.RetryableErrorTypes, options.IsRetryable))
            {
                return RetryDecision.Stop;
            }

            var baseDelay = Math.Min(options.InitialDelay.TotalSeconds + (options.Increment.TotalSeconds * (attemptsMade - 1)),
                options.MaxDelay.TotalSeconds);
            return RetryDecision.After(FinalDelay(baseDelay, options.Jitter, options.Random));
        };
    }

    /// <summary>
    /// A polling strategy: stop when <see cref="WaitStrategyOptions{TState}.ShouldContinuePolling"/> is false; fail the
    /// operation after <see cref="WaitStrategyOptions{TState}.MaxAttempts"/> polls.
    /// </summary>
    public static WaitStrategy<TState> Polling<TState>(WaitStrategyOptions<TState> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return (state, attemptsMade) =>
        {
            if (!options.ShouldContinuePolling(state))
            {
                return WaitDecision.Done;
            }

            if (attemptsMade >= options.MaxAttempts)
            {
                throw new WaitForConditionException($"waitForCondition exceeded maximum attempts ({options.MaxAttempts})");
            }

            var baseDelay = Math.Min(options.InitialDelay.TotalSeconds * Math.Pow(options.BackoffRate, attemptsMade - 1),
                options.MaxDelay.TotalSeconds);
            return WaitDecision.After(FinalDelay(baseDelay, options.Jitter, options.Random));
        };
    }

    internal static TimeSpan FinalDelay(double baseSeconds, JitterStrategy jitter, Random? random)
    {
        var rng = random ?? Random.Shared;
        var jittered = jitter switch
        {
            JitterStrategy.Full => rng.NextDouble() * baseSeconds,
            JitterStrategy.Half => (baseSeconds / 2) + (rng.NextDouble() * (baseSeconds / 2)),
            _ => baseSeconds,
        };
        return TimeSpan.FromSeconds(Math.Max(1, Math.Round(jittered, MidpointRounding.AwayFromZero)));
    }

    private static bool IsRetryable(Exception error, IReadOnlyList<Regex>? patterns, IReadOnlyList<Type>? types, Func<Exception, bool>? predicate)
    {
        if (patterns is null && types is null && predicate is null)
        {
            return true;
        }

        if (patterns is not null)
        {
            foreach (var pattern in patterns)
            {
                if (pattern.IsMatch(error.Message))
                {
                    return true;
                }
            }
        }

        if (types is not null)
        {
            foreach (var type in types)
            {
                if (type.IsInstanceOfType(error))
                {
                    return true;
                }
            }
        }

        return predicate?.Invoke(error) == true;
    }
}
