using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lamina.Core.Api.Lambda;

/// <summary>
/// Writes a page of configurations, copying the JSON of items that do not change between calls (those passed to
/// <see cref="MarkReusable"/>) instead of serializing them again.
/// </summary>
/// <remarks>
/// Serializing the 50 configurations of a ListFunctions page was about 8% of the server's CPU per page (perf,
/// 2026-11-23); a copied item costs a memcpy of its ~700 bytes. The JSON is kept per item instance and writer
/// encoder, so an item serialized for a writer with different escaping is serialized again; it lives as long as
/// the item (a conditional weak table), and the items are the presentation memo of the function service.
/// </remarks>
internal sealed class ListedConfigurationsConverter : JsonConverter<List<FunctionConfiguration>>
{
    private static readonly ConditionalWeakTable<FunctionConfiguration, Utf8Json> Reusable = [];

    /// <summary>
    /// Declares that <paramref name="item"/> is never mutated and is presented the same way to every caller, so its
    /// JSON may be written once and copied afterwards.
    /// </summary>
    public static void MarkReusable(FunctionConfiguration item) => Reusable.TryAdd(item, new Utf8Json());

    public override List<FunctionConfiguration>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JsonSerializer.Deserialize(ref reader, LambdaJson.Default.ListFunctionConfiguration);

    public override void Write(Utf8JsonWriter writer, List<FunctionConfiguration> value, JsonSerializerOptions options)
    {
        var typeInfo = LambdaJson.Default.FunctionConfiguration;
        writer.WriteStartArray();
        foreach (var item in value)
        {
            if (Reusable.TryGetValue(item, out var cached))
            {
                writer.WriteRawValue(cached.For(item, writer.Options.Encoder), skipInputValidation: true);
            }
            else
            {
                JsonSerializer.Serialize(writer, item, typeInfo);
            }
        }

        writer.WriteEndArray();
    }

    private sealed class Utf8Json
    {
        /// <summary>Replaced whole (one reference write), so a concurrent reader sees either JSON with its own encoder.</summary>
        private Written? _written;

        public byte[] For(FunctionConfiguration item, JavaScriptEncoder? encoder)
        {
            if (_written is { } written && ReferenceEquals(written.Encoder, encoder))
            {
                return written.Json;
            }

            var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = encoder, SkipValidation = true }))
            {
                JsonSerializer.Serialize(writer, item, LambdaJson.Default.FunctionConfiguration);
            }

            var json = buffer.WrittenSpan.ToArray();
            _written = new Written(encoder, json);
            return json;
        }

        private sealed record Written(JavaScriptEncoder? Encoder, byte[] Json);
    }
}
