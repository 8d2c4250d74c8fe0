using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lamina.Durable;

/// <summary>
/// Reads a timestamp written either as epoch seconds (API responses, fractions allowed) or as an ISO-8601 string
/// (the invocation event); writes epoch seconds.
/// </summary>
public sealed class WireTimestampConverter : JsonConverter<DateTimeOffset?>
{
    public override bool HandleNull => true;

    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.Number:
                var seconds = reader.GetDouble();
                return DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000, MidpointRounding.AwayFromZero));
            case JsonTokenType.String:
                var text = reader.GetString();
                if (string.IsNullOrEmpty(text))
                {
                    return null;
                }

                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var numeric))
                {
                    return DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(numeric * 1000, MidpointRounding.AwayFromZero));
                }

                return DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
            default:
                throw new JsonException($"Expected a timestamp, got {reader.TokenType}.");
        }
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteNumberValue(value.Value.ToUnixTimeMilliseconds() / 1000.0);
    }
}
