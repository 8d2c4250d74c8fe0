using System.Text.Json;
using System.Text.Json.Serialization;

namespace Amazon.Lambda.Serialization.SystemTextJson.Converters;

/// <summary>A <see cref="MemoryStream"/> as a base64 string (Kinesis and Firehose records carry their data this way).</summary>
public class MemoryStreamConverter : JsonConverter<MemoryStream>
{
    public override MemoryStream Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        new(reader.GetBytesFromBase64());

    public override void Write(Utf8JsonWriter writer, MemoryStream value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteBase64StringValue(value.TryGetBuffer(out var segment) ? segment : value.ToArray());
    }
}
