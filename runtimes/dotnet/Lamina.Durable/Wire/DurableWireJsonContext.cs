using System.Text.Json.Serialization;

namespace Lamina.Durable;

/// <summary>Source-generated JSON for every wire shape: property names as declared (the AWS names), nulls left out.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(DurableExecutionInvocationInput))]
[JsonSerializable(typeof(DurableExecutionInvocationOutput))]
[JsonSerializable(typeof(CheckpointDurableExecutionRequest))]
[JsonSerializable(typeof(CheckpointDurableExecutionResponse))]
[JsonSerializable(typeof(GetDurableExecutionStateResponse))]
[JsonSerializable(typeof(ErrorObject))]
[JsonSerializable(typeof(CheckpointBody))]
internal sealed partial class DurableWireJsonContext : JsonSerializerContext;
