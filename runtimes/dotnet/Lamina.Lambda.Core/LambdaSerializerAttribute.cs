namespace Amazon.Lambda.Core;

/// <summary>
/// Names the <see cref="ILambdaSerializer"/> the runtime uses for a handler's input and output. On a method it
/// applies to that handler; on the assembly, to every handler without its own.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly | AttributeTargets.Method, AllowMultiple = false)]
public sealed class LambdaSerializerAttribute : Attribute
{
    /// <param name="serializerType">A type implementing <see cref="ILambdaSerializer"/> with a public parameterless constructor.</param>
    public LambdaSerializerAttribute(Type serializerType)
    {
        SerializerType = serializerType;
    }

    /// <summary>The serializer's type.</summary>
    public Type SerializerType { get; set; }
}
