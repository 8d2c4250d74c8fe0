namespace Lamina.Runtime.Dotnet;

/// <summary>
/// The handler string, type, method or serializer cannot be used. The class name is the <c>errorType</c> of the
/// init error, as AWS's .NET runtime reports these problems.
/// </summary>
internal sealed class LambdaValidationException : Exception
{
    public LambdaValidationException()
    {
    }

    public LambdaValidationException(string message)
        : base(message)
    {
    }

    public LambdaValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
