namespace Lamina.Durable;

/// <summary>One change sent in a checkpoint (<c>OperationUpdate</c> in the Lambda model).</summary>
public sealed record OperationUpdate
{
    public required string Id { get; init; }
    public string? ParentId { get; init; }
    public string? Name { get; init; }
    public required string Type { get; init; }
    public string? SubType { get; init; }
    public required string Action { get; init; }

    /// <summary>Serialized result or state; an empty string is sent as is (a child context whose result was too large).</summary>
    public string? Payload { get; init; }

    public ErrorObject? Error { get; init; }
    public ContextOptions? ContextOptions { get; init; }
    public StepOptions? StepOptions { get; init; }
    public WaitOptions? WaitOptions { get; init; }
    public CallbackOptions? CallbackOptions { get; init; }
    public ChainedInvokeOptions? ChainedInvokeOptions { get; init; }
}
