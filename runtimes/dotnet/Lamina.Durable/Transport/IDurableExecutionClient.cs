namespace Lamina.Durable;

/// <summary>
/// The two service calls the SDK makes. The default is <see cref="LambdaDurableExecutionClient"/> (HTTP, SigV4);
/// tests and local runners can answer in memory. Failures must surface as <see cref="DurableExecutionClientException"/>
/// (HTTP errors, classified by status and error code) or any other exception (network, retried as an invocation).
/// </summary>
public interface IDurableExecutionClient
{
    /// <summary>CheckpointDurableExecution: consumes the token, applies the updates in order, returns the next token and the changed operations.</summary>
    Task<CheckpointDurableExecutionResponse> CheckpointAsync(CheckpointDurableExecutionRequest request, CancellationToken cancellationToken);

    /// <summary>GetDurableExecutionState: one page of the execution's operations.</summary>
    Task<GetDurableExecutionStateResponse> GetExecutionStateAsync(GetDurableExecutionStateRequest request, CancellationToken cancellationToken);
}
