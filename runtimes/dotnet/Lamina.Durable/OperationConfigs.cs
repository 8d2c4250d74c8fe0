namespace Lamina.Durable;

// The per-operation settings records. Names follow the official SDK's *Config types; the *Options names belong to
// the wire shapes (StepOptions, WaitOptions, CallbackOptions, ...).

/// <summary>How often a step may run.</summary>
public enum StepSemantics
{
    /// <summary>START is sent without waiting; a step interrupted by a crash runs again on replay.</summary>
    AtLeastOncePerRetry,

    /// <summary>
    /// START is checkpointed before the step runs; a step found started on replay is not run again but treated as
    /// failed with <see cref="StepInterruptedException"/>, which the retry strategy may retry.
    /// </summary>
    AtMostOncePerRetry,
}

public sealed record StepConfig
{
    /// <summary><see cref="RetryPresets.Default"/> when null.</summary>
    public RetryStrategy? RetryStrategy { get; init; }

    public StepSemantics Semantics { get; init; } = StepSemantics.AtLeastOncePerRetry;

    /// <summary>The context's serializer when null.</summary>
    public IDurableSerializer? Serializer { get; init; }
}

public sealed record CallbackConfig
{
    /// <summary>Fail with <see cref="CallbackTimeoutException"/> when no answer arrives in time (whole seconds).</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Fail when the sender stops heartbeating for this long (whole seconds).</summary>
    public TimeSpan? HeartbeatTimeout { get; init; }

    /// <summary>How to read the posted result; raw string or JSON when null.</summary>
    public IDurableSerializer? Serializer { get; init; }
}

public sealed record WaitForCallbackConfig
{
    public TimeSpan? Timeout { get; init; }
    public TimeSpan? HeartbeatTimeout { get; init; }

    /// <summary>Retries of the submitter step; <see cref="RetryPresets.Default"/> when null.</summary>
    public RetryStrategy? RetryStrategy { get; init; }

    /// <summary>How to read the posted result for the generic overload; JSON when null.</summary>
    public IDurableSerializer? Serializer { get; init; }
}

public sealed record InvokeConfig
{
    public string? TenantId { get; init; }

    /// <summary>Writes the target's input; plain JSON when null (the target reads it as its event).</summary>
    public IDurableSerializer? PayloadSerializer { get; init; }

    /// <summary>Reads the target's result; plain JSON when null.</summary>
    public IDurableSerializer? ResultSerializer { get; init; }
}

public sealed record ChildContextConfig
{
    /// <summary>The <c>SubType</c> written to history; <c>RunInChildContext</c> when null.</summary>
    public string? SubType { get; init; }

    /// <summary>The context's serializer when null; children inherit the parent's.</summary>
    public IDurableSerializer? Serializer { get; init; }

    /// <summary>
    /// For results over 256 KB, which are not checkpointed (the children are replayed instead): a short summary to
    /// record in their place. Empty when null.
    /// </summary>
    public Func<object?, string>? SummaryGenerator { get; init; }
}

/// <summary>When a parallel or map batch stops; with nothing set, the first failure stops it.</summary>
public sealed record CompletionConfig
{
    /// <summary>Complete as soon as this many items succeeded.</summary>
    public int? MinSuccessful { get; init; }

    /// <summary>Stop once more than this many items failed.</summary>
    public int? ToleratedFailureCount { get; init; }

    /// <summary>Stop once more than this percentage of all items failed.</summary>
    public double? ToleratedFailurePercentage { get; init; }

    internal bool HasCriteria => MinSuccessful is not null || ToleratedFailureCount is not null || ToleratedFailurePercentage is not null;
}

public sealed record ParallelConfig
{
    /// <summary>At most this many branches at once; unlimited when null.</summary>
    public int? MaxConcurrency { get; init; }

    public CompletionConfig? CompletionConfig { get; init; }

    /// <summary>Serializes each branch's result; the context's serializer when null.</summary>
    public IDurableSerializer? ItemSerializer { get; init; }
}

public sealed record MapConfig<TItem>
{
    public int? MaxConcurrency { get; init; }

    public CompletionConfig? CompletionConfig { get; init; }

    /// <summary>Names each item's child context; <c>map-item-N</c> when null.</summary>
    public Func<TItem, int, string>? ItemNamer { get; init; }

    public IDurableSerializer? ItemSerializer { get; init; }
}

public sealed record WaitForConditionConfig<TState>
{
    /// <summary>The state handed to the first check.</summary>
    public required TState InitialState { get; init; }

    /// <summary>Decides after each check whether to poll again; see <see cref="RetryPresets.Polling{TState}"/>.</summary>
    public required WaitStrategy<TState> WaitStrategy { get; init; }

    public IDurableSerializer? Serializer { get; init; }
}

/// <summary>A parallel branch, optionally named (its child context's name; <c>parallel-branch-N</c> otherwise).</summary>
public sealed record ParallelBranch<T>(string? Name, Func<IDurableContext, Task<T>> Func);
