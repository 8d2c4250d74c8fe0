namespace Lamina.Durable;

/// <summary>An error as the durable APIs carry it (<c>ErrorObject</c> in the Lambda model).</summary>
public sealed record ErrorObject
{
    public string? ErrorType { get; init; }
    public string? ErrorMessage { get; init; }
    public string? ErrorData { get; init; }
    public IReadOnlyList<string>? StackTrace { get; init; }
}
