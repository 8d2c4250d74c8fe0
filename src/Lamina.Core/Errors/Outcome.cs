using System.Diagnostics.CodeAnalysis;

namespace Lamina.Core.Errors;

/// <summary>A value or the <see cref="AwsError"/> that prevented it: expected failures travel as values.</summary>
internal readonly struct Outcome<T>
{
    private readonly T? _value;

    public Outcome(T value)
    {
        _value = value;
        Error = null;
    }

    public Outcome(AwsError error)
    {
        _value = default;
        Error = error;
    }

    public AwsError? Error { get; }

    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    public T Value => Error is null ? _value! : throw new InvalidOperationException($"Outcome is an error: {Error}");

    public static implicit operator Outcome<T>(T value) => new(value);

    public static implicit operator Outcome<T>(AwsError error) => new(error);

    public bool TryGetValue([MaybeNullWhen(false)] out T value, [NotNullWhen(false)] out AwsError? error)
    {
        value = _value;
        error = Error;
        return Error is null;
    }
}
