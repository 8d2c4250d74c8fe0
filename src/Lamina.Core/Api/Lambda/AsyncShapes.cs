namespace Lamina.Core.Api.Lambda;

internal sealed record DestinationTarget
{
    public string? Destination { get; init; }
}

internal sealed record DestinationConfig
{
    public DestinationTarget? OnSuccess { get; init; }
    public DestinationTarget? OnFailure { get; init; }
}

/// <summary>Request of Put/UpdateFunctionEventInvokeConfig.</summary>
internal sealed record EventInvokeConfigRequest
{
    public int? MaximumRetryAttempts { get; init; }
    public int? MaximumEventAgeInSeconds { get; init; }
    public DestinationConfig? DestinationConfig { get; init; }
}

/// <summary>The model's FunctionEventInvokeConfig; LastModified is epoch seconds on the wire.</summary>
internal sealed record FunctionEventInvokeConfig
{
    public double? LastModified { get; init; }
    public string? FunctionArn { get; init; }
    public int? MaximumRetryAttempts { get; init; }
    public int? MaximumEventAgeInSeconds { get; init; }
    public DestinationConfig? DestinationConfig { get; init; }
}

internal sealed record ListFunctionEventInvokeConfigsResponse
{
    public List<FunctionEventInvokeConfig>? FunctionEventInvokeConfigs { get; init; }
    public string? NextMarker { get; init; }
}

internal sealed record InvokeAsyncResponse
{
    public int Status { get; init; }
}
