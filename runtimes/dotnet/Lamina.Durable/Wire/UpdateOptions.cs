namespace Lamina.Durable;

// The per-type option records of OperationUpdate, kept together as in the Lambda model.

public sealed record ContextOptions
{
    public bool? ReplayChildren { get; init; }
}

public sealed record StepOptions
{
    /// <summary>1 to 31,622,400 seconds.</summary>
    public int? NextAttemptDelaySeconds { get; init; }
}

public sealed record WaitOptions
{
    /// <summary>1 to 31,622,400 seconds.</summary>
    public int? WaitSeconds { get; init; }
}

public sealed record CallbackOptions
{
    /// <summary>Absent or 0: no timeout.</summary>
    public int? TimeoutSeconds { get; init; }

    /// <summary>Absent or 0: no heartbeat timeout.</summary>
    public int? HeartbeatTimeoutSeconds { get; init; }
}

public sealed record ChainedInvokeOptions
{
    public required string FunctionName { get; init; }
    public string? TenantId { get; init; }
}
