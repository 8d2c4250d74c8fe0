using System.Text.Json;

namespace Lamina.Durable;

/// <summary>Settings for a wrapped durable handler. Every member has a working default.</summary>
public sealed record DurableFunctionOptions
{
    /// <summary>
    /// The checkpoint transport. Default: <see cref="LambdaDurableExecutionClient"/> configured from the environment
    /// (AWS_ENDPOINT_URL_LAMBDA or AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN).
    /// </summary>
    public IDurableExecutionClient? Client { get; init; }

    /// <summary>
    /// Serializes step, child-context and condition state payloads. Default: <see cref="JsonDurableSerializer"/>
    /// over <see cref="JsonOptions"/>. Wrap it in <see cref="EncryptingDurableSerializer"/> to keep payloads from the service.
    /// </summary>
    public IDurableSerializer? Serializer { get; init; }

    /// <summary>
    /// JSON settings for the execution's input and result, chained-invoke payloads and JSON callback results (which
    /// others read or write, so they never go through <see cref="Serializer"/>). Default: web defaults.
    /// </summary>
    public JsonSerializerOptions? JsonOptions { get; init; }

    /// <summary>The clock for polling and suspension timers. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; init; }
}

/// <summary>The resolved settings one invocation runs with.</summary>
internal sealed record DurableRuntimeSettings(IDurableSerializer Serializer, JsonDurableSerializer PlainJson, TimeProvider TimeProvider)
{
    public static DurableRuntimeSettings From(DurableFunctionOptions options)
    {
        var json = options.JsonOptions is null ? JsonDurableSerializer.Default : new JsonDurableSerializer(options.JsonOptions);
        return new DurableRuntimeSettings(options.Serializer ?? json, json, options.TimeProvider ?? TimeProvider.System);
    }
}
