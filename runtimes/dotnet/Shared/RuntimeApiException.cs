namespace Lamina.Lambda.Shared;

/// <summary>The Runtime API failed in a way the runtime cannot recover from; the process exits.</summary>
internal sealed class RuntimeApiException : Exception
{
    public RuntimeApiException()
    {
    }

    public RuntimeApiException(string message)
        : base(message)
    {
    }

    public RuntimeApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
