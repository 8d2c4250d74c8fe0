namespace Amazon.Lambda.Serialization.SystemTextJson;

/// <summary>The event could not be read as the handler's input type, or the result could not be written as JSON.</summary>
public class JsonSerializerException : Exception
{
    public JsonSerializerException()
    {
    }

    public JsonSerializerException(string message)
        : base(message)
    {
    }

    public JsonSerializerException(string message, Exception exception)
        : base(message, exception)
    {
    }
}
