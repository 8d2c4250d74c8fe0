using System.Text.Json.Serialization;

namespace Lamina.Benchmarks.Async;

/// <summary>A line the function's bootstrap sends to the sink: <c>{"rid": ..., "t": time.time(), "env": ..., "n": ...}</c>.</summary>
internal sealed record StartLine(
    [property: JsonPropertyName("rid")] string Rid,
    [property: JsonPropertyName("t")] double T,
    [property: JsonPropertyName("env")] string Env,
    [property: JsonPropertyName("n")] int N);

[JsonSerializable(typeof(StartLine))]
internal sealed partial class StartLineJson : JsonSerializerContext;
