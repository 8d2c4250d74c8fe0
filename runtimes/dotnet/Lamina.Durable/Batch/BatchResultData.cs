using System.Text.Json.Serialization;

namespace Lamina.Durable;

/// <summary>
/// The recorded form of a <see cref="BatchResult{T}"/>, shaped as the official SDK's:
/// <c>{"all":[{"result":…,"index":0,"status":"SUCCEEDED"},{"error":{…},"index":1,"status":"FAILED"}],"completionReason":"ALL_COMPLETED"}</c>.
/// Public so that a source-generated <c>JsonSerializerContext</c> can list it for the result types it batches.
/// </summary>
public sealed record BatchResultData<T>
{
    [JsonPropertyName("all")]
    public List<BatchItemData<T>> All { get; init; } = [];

    [JsonPropertyName("completionReason")]
    public string? CompletionReason { get; init; }
}

public sealed record BatchItemData<T>
{
    [JsonPropertyName("result")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public T? Result { get; init; }

    [JsonPropertyName("error")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public BatchErrorData? Error { get; init; }

    [JsonPropertyName("index")]
    public int Index { get; init; }

    [JsonPropertyName("status")]
    public string Status { get; init; } = "";
}

/// <summary>An item's error with its cause chain, as the official SDK's serializeBatchError.</summary>
public sealed record BatchErrorData
{
    public string? ErrorType { get; init; }
    public string? ErrorMessage { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ErrorData { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public BatchErrorData? Cause { get; init; }
}
