using System.Text.Json.Serialization;

namespace Lamina.Durable;

/// <summary>The event Lambda hands a durable function (protocol section 1).</summary>
public sealed record DurableExecutionInvocationInput
{
    public string? DurableExecutionArn { get; init; }
    public string? CheckpointToken { get; init; }
    public IReadOnlyList<string>? UpdatedOperationIds { get; init; }
    public InitialExecutionState? InitialExecutionState { get; init; }
}

public sealed record InitialExecutionState
{
    public IReadOnlyList<Operation>? Operations { get; init; }

    /// <summary>Non-empty when more operations must be fetched with GetDurableExecutionState.</summary>
    public string? NextMarker { get; init; }
}

/// <summary>How one invocation ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InvocationStatus>))]
public enum InvocationStatus
{
    /// <summary>The execution finished; <see cref="DurableExecutionInvocationOutput.Result"/> holds its JSON result.</summary>
    SUCCEEDED,

    /// <summary>The execution failed; <see cref="DurableExecutionInvocationOutput.Error"/> says why.</summary>
    FAILED,

    /// <summary>Nothing more can happen in this invocation; the service re-invokes when a wait, retry, callback or invoke ends.</summary>
    PENDING,
}

/// <summary>The handler's response payload (protocol section 2).</summary>
public sealed record DurableExecutionInvocationOutput
{
    public required InvocationStatus Status { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Result { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ErrorObject? Error { get; init; }
}
