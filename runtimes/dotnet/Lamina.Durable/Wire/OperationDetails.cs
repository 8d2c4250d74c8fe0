using System.Text.Json.Serialization;

namespace Lamina.Durable;

// The per-type detail records of Operation, kept together: each is a few fields of the Lambda model.

public sealed record ExecutionDetails
{
    public string? InputPayload { get; init; }
}

public sealed record ContextDetails
{
    public bool? ReplayChildren { get; init; }
    public string? Result { get; init; }
    public ErrorObject? Error { get; init; }
}

public sealed record StepDetails
{
    /// <summary>Completed attempts; user code runs attempt <c>Attempt + 1</c>.</summary>
    public int? Attempt { get; init; }

    [JsonConverter(typeof(WireTimestampConverter))]
    public DateTimeOffset? NextAttemptTimestamp { get; init; }

    public string? Result { get; init; }
    public ErrorObject? Error { get; init; }
}

public sealed record WaitDetails
{
    [JsonConverter(typeof(WireTimestampConverter))]
    public DateTimeOffset? ScheduledEndTimestamp { get; init; }
}

public sealed record CallbackDetails
{
    public string? CallbackId { get; init; }
    public string? Result { get; init; }
    public ErrorObject? Error { get; init; }
}

public sealed record ChainedInvokeDetails
{
    public string? Result { get; init; }
    public ErrorObject? Error { get; init; }
}
