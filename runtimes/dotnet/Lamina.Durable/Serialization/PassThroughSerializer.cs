namespace Lamina.Durable;

/// <summary>Strings stay as they are: how callback results are read by default (the sender's raw text).</summary>
public sealed class PassThroughSerializer : IDurableSerializer
{
    public static PassThroughSerializer Instance { get; } = new();

    public ValueTask<string?> SerializeAsync<T>(T value, SerdesContext context, CancellationToken cancellationToken) => value switch
    {
        null => ValueTask.FromResult<string?>(null),
        string s => ValueTask.FromResult<string?>(s),
        _ => throw new NotSupportedException($"{nameof(PassThroughSerializer)} handles strings only, not {typeof(T).Name}."),
    };

    public ValueTask<T?> DeserializeAsync<T>(string? payload, SerdesContext context, CancellationToken cancellationToken) =>
        typeof(T) == typeof(string) || typeof(T) == typeof(object)
            ? ValueTask.FromResult((T?)(object?)payload)
            : throw new NotSupportedException($"{nameof(PassThroughSerializer)} handles strings only, not {typeof(T).Name}.");
}
