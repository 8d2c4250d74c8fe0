using System.Text.Json;
using System.Text.Json.Serialization;

namespace Amazon.Lambda.Serialization.SystemTextJson.Converters;

/// <summary>Reads a <see cref="DateTime"/> from an ISO 8601 string or from epoch seconds (integer or fractional); writes ISO 8601.</summary>
public class DateTimeConverter : JsonConverter<DateTime>
{
    public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String && reader.TryGetDateTime(out var date))
        {
            return date;
        }

        if (reader.TokenType == JsonTokenType.Number)
        {
            if (reader.TryGetInt64(out var seconds))
            {
                return DateTime.UnixEpoch.AddSeconds(seconds);
            }

            if (reader.TryGetDouble(out var fractional))
            {
                return DateTime.UnixEpoch.AddSeconds(fractional);
            }
        }

        throw new JsonSerializerException($"Unknown data type for DateTime: {reader.TokenType}");
    }

    public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value);
    }
}
