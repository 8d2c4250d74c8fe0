namespace Lamina.Durable;

// Request and response shapes of CheckpointDurableExecution and GetDurableExecutionState (API version 2025-12-01).

public sealed record CheckpointDurableExecutionRequest
{
    public required string DurableExecutionArn { get; init; }
    public required string CheckpointToken { get; init; }
    public required IReadOnlyList<OperationUpdate> Updates { get; init; }

    /// <summary>Idempotency token: one per call, reused by the transport's own retries.</summary>
    public string? ClientToken { get; init; }
}

public sealed record CheckpointDurableExecutionResponse
{
    public string? CheckpointToken { get; init; }
    public CheckpointUpdatedExecutionState? NewExecutionState { get; init; }
}

public sealed record CheckpointUpdatedExecutionState
{
    public IReadOnlyList<Operation>? Operations { get; init; }
    public string? NextMarker { get; init; }
}

public sealed record GetDurableExecutionStateRequest
{
    public required string DurableExecutionArn { get; init; }
    public required string CheckpointToken { get; init; }
    public string? Marker { get; init; }
    public int? MaxItems { get; init; }
}

public sealed record GetDurableExecutionStateResponse
{
    public IReadOnlyList<Operation>? Operations { get; init; }
    public string? NextMarker { get; init; }
}
