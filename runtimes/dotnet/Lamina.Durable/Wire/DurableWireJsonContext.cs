using System.Text.Encodings.Web;
using System.Text.Json;
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
internal sealed partial class DurableWireJsonContext : JsonSerializerContext
{
    /// <summary>The same shapes with relaxed escaping, as the Lambda serializers and <c>JSON.stringify</c> write quotes (<c>\"</c>).</summary>
    public static DurableWireJsonContext Relaxed { get; } = new(new JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PropertyNameCaseInsensitive = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
