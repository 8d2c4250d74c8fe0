namespace Lamina.Durable;

/// <summary>
/// A durable API call failed with an HTTP error. The SDK classifies it (protocol section 4) from
/// <see cref="StatusCode"/>, <see cref="ErrorCode"/> and the message; a transport for tests throws it too.
/// Network failures are other exceptions (<see cref="HttpRequestException"/>) and count as retryable.
/// </summary>
public sealed class DurableExecutionClientException : Exception
{
    public DurableExecutionClientException()
    {
    }

    public DurableExecutionClientException(string message) : base(message)
    {
    }

    public DurableExecutionClientException(string message, Exception? innerException) : base(message, innerException)
    {
    }

    public DurableExecutionClientException(int statusCode, string? errorCode, string message) : base(message)
    {
        StatusCode = statusCode;
        ErrorCode = errorCode;
    }

    /// <summary>The HTTP status, or 0 when unknown.</summary>
    public int StatusCode { get; }

    /// <summary>The AWS error name (<c>X-Amzn-ErrorType</c>), such as <c>InvalidParameterValueException</c>.</summary>
    public string? ErrorCode { get; }

    /// <summary>5xx and 429: worth retrying.</summary>
    public bool IsRetryable => StatusCode is >= 500 or 429;
}
