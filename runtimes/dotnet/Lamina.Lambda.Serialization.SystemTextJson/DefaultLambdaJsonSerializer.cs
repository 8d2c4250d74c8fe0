using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Amazon.Lambda.Core;
using Amazon.Lambda.Serialization.SystemTextJson.Converters;

namespace Amazon.Lambda.Serialization.SystemTextJson;

/// <summary>
/// The serializer AWS's .NET templates name in <c>[assembly: LambdaSerializer(...)]</c>, with the same defaults:
/// property names as declared in C# (PascalCase) except <c>XAmzId2</c>/<c>XAmzRequestId</c> (see
/// <see cref="AwsNamingPolicy"/>); case-insensitive reading; null properties left out when writing; minimal
/// escaping (<c>UnsafeRelaxedJsonEscaping</c>); dates also read from epoch seconds; <see cref="MemoryStream"/> as
/// base64; <c>byte[]</c> as an array of numbers (base64 strings are read too).
/// </summary>
/// <remarks>
/// With <c>LAMBDA_NET_SERIALIZER_DEBUG=true</c> the JSON read and written is also logged. Failures become a
/// <see cref="JsonSerializerException"/>, whose name is the <c>errorType</c> the caller sees.
/// </remarks>
public class DefaultLambdaJsonSerializer : ILambdaSerializer
{
    private readonly bool _debug;

    public DefaultLambdaJsonSerializer()
        : this(null, null)
    {
    }

    /// <param name="customizer">Adjusts the options after the defaults are set.</param>
    public DefaultLambdaJsonSerializer(Action<JsonSerializerOptions>? customizer)
        : this(customizer, null)
    {
    }

    /// <param name="customizer">Adjusts the serializer options after the defaults are set.</param>
    /// <param name="jsonWriterCustomizer">Adjusts the writer options (indentation, encoder).</param>
    public DefaultLambdaJsonSerializer(Action<JsonSerializerOptions>? customizer, Action<JsonWriterOptions>? jsonWriterCustomizer)
    {
        SerializerOptions = CreateDefaultOptions();
        customizer?.Invoke(SerializerOptions);
        var writerOptions = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        jsonWriterCustomizer?.Invoke(writerOptions);
        WriterOptions = writerOptions;
        _debug = string.Equals(Environment.GetEnvironmentVariable("LAMBDA_NET_SERIALIZER_DEBUG"), "true", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The options every call uses.</summary>
    protected JsonSerializerOptions SerializerOptions { get; }

    /// <summary>The options of the JSON writer.</summary>
    protected JsonWriterOptions WriterOptions { get; }

    public T Deserialize<T>(Stream requestStream)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        try
        {
            ReadOnlySpan<byte> utf8 = requestStream is MemoryStream memory && memory.TryGetBuffer(out var segment)
                ? segment.AsSpan((int)memory.Position)
                : ReadAll(requestStream);
            if (_debug)
            {
                Console.WriteLine($"Lambda Deserialize {typeof(T).FullName}: {System.Text.Encoding.UTF8.GetString(utf8)}");
            }

            return JsonSerializer.Deserialize<T>(utf8, SerializerOptions)!;
        }
        catch (Exception e)
        {
            var message = typeof(T) == typeof(string)
                ? $"Error converting the Lambda event JSON payload to a string. JSON strings must be quoted, for example \"Hello World\" in order to be converted to a string: {e.Message}"
                : $"Error converting the Lambda event JSON payload to type {typeof(T).FullName}: {e.Message}";
            throw new JsonSerializerException(message, e);
        }
    }

    public void Serialize<T>(T response, Stream responseStream)
    {
        ArgumentNullException.ThrowIfNull(responseStream);
        try
        {
            if (_debug)
            {
                using var copy = new MemoryStream();
                Write(response, copy);
                Console.WriteLine($"Lambda Serialize {response?.GetType().FullName}: {System.Text.Encoding.UTF8.GetString(copy.GetBuffer(), 0, (int)copy.Length)}");
                copy.Position = 0;
                copy.CopyTo(responseStream);
            }
            else
            {
                Write(response, responseStream);
            }
        }
        catch (Exception e)
        {
            throw new JsonSerializerException(
                $"Error converting the response object of type {typeof(T).FullName} from the Lambda function to JSON: {e.Message}", e);
        }
    }

    /// <summary>The defaults; subclasses change the naming policy.</summary>
    private protected virtual JsonNamingPolicy NamingPolicy => new AwsNamingPolicy();

    private JsonSerializerOptions CreateDefaultOptions() => new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PropertyNameCaseInsensitive = true,
        PropertyNamingPolicy = NamingPolicy,
        Converters = { new DateTimeConverter(), new MemoryStreamConverter(), new ByteArrayConverter() },
    };

    private void Write<T>(T response, Stream stream)
    {
        using var writer = new Utf8JsonWriter(stream, WriterOptions);
        JsonSerializer.Serialize(writer, response, SerializerOptions);
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
