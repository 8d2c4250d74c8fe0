using System.Text.Json.Serialization;

namespace Lamina.Durable;

/// <summary>One operation of an execution as the service reports it (<c>Operation</c> in the Lambda model).</summary>
public sealed record Operation
{
    public required string Id { get; init; }
    public string? ParentId { get; init; }
    public string? Name { get; init; }
    public required string Type { get; init; }
    public string? SubType { get; init; }

    /// <summary>ISO-8601 in the invocation event, epoch seconds in API responses; both are read.</summary>
    [JsonConverter(typeof(WireTimestampConverter))]
    public DateTimeOffset? StartTimestamp { get; init; }

    [JsonConverter(typeof(WireTimestampConverter))]
    public DateTimeOffset? EndTimestamp { get; init; }

    public required string Status { get; init; }
    public ExecutionDetails? ExecutionDetails { get; init; }
    public ContextDetails? ContextDetails { get; init; }
    public StepDetails? StepDetails { get; init; }
    public WaitDetails? WaitDetails { get; init; }
    public CallbackDetails? CallbackDetails { get; init; }
    public ChainedInvokeDetails? ChainedInvokeDetails { get; init; }
}
