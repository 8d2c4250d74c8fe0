#nullable disable

namespace Amazon.Lambda.Core;

/// <summary>Converts a function's input and output to and from the invocation's bytes.</summary>
public interface ILambdaSerializer
{
    /// <summary>Reads the event from <paramref name="requestStream"/> as a <typeparamref name="T"/>.</summary>
    T Deserialize<T>(Stream requestStream);

    /// <summary>Writes <paramref name="response"/> to <paramref name="responseStream"/>.</summary>
    void Serialize<T>(T response, Stream responseStream);
}
