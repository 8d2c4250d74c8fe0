namespace Lamina.Durable;

/// <summary>What a serializer knows about the payload it handles.</summary>
/// <param name="OperationId">The operation's wire <c>Id</c> (16 hex characters), or the execution's result id.</param>
/// <param name="DurableExecutionArn">The execution the payload belongs to.</param>
public readonly record struct SerdesContext(string OperationId, string DurableExecutionArn);

/// <summary>
/// Turns step results, child-context results and polling state into checkpoint payloads and back. Payloads are
/// strings of at most 6 MB; a <c>null</c> payload means "no value".
/// </summary>
/// <remarks>
/// A serializer must be deterministic in what it accepts: every replay deserializes what an earlier invocation
/// serialized. A failure to serialize or deserialize makes the invocation throw, and the service retries it.
/// </remarks>
public interface IDurableSerializer
{
    ValueTask<string?> SerializeAsync<T>(T value, SerdesContext context, CancellationToken cancellationToken);

    ValueTask<T?> DeserializeAsync<T>(string? payload, SerdesContext context, CancellationToken cancellationToken);
}
