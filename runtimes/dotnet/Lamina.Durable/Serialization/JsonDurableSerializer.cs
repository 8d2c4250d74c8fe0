using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Lamina.Durable;

/// <summary>
/// The default serializer: System.Text.Json with web defaults (camelCase names, case-insensitive reads), as the
/// official SDK's <c>JSON.stringify</c>/<c>JSON.parse</c>. Pass options whose <c>TypeInfoResolver</c> is a
/// source-generated <c>JsonSerializerContext</c> to avoid reflection.
/// </summary>
public sealed class JsonDurableSerializer : IDurableSerializer
{
    /// <summary>The shared default instance.</summary>
    public static JsonDurableSerializer Default { get; } = new();

    public JsonDurableSerializer(JsonSerializerOptions? options = null)
    {
        Options = options ?? CreateDefaultOptions();
        Options.MakeReadOnly(populateMissingResolver: true);
    }

    /// <summary>The options in use (read-only).</summary>
    public JsonSerializerOptions Options { get; }

    /// <summary>
    /// Web defaults with the reflection resolver and relaxed escaping (quotes as <c>\"</c>, not <c>\u0022</c>, as
    /// <c>JSON.stringify</c> and the Lambda serializers write them): what <see cref="Default"/> uses.
    /// </summary>
    public static JsonSerializerOptions CreateDefaultOptions() => new(JsonSerializerDefaults.Web)
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public ValueTask<string?> SerializeAsync<T>(T value, SerdesContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult<string?>(Serialize(value));

    public ValueTask<T?> DeserializeAsync<T>(string? payload, SerdesContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Deserialize<T>(payload));

    /// <summary>Synchronous form, for the execution's input and result, which never go through a custom serializer.</summary>
    public string Serialize<T>(T value) => JsonSerializer.Serialize(value, (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T)));

    public T? Deserialize<T>(string? payload) =>
        payload is null ? default : JsonSerializer.Deserialize(payload, (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T)));
}
