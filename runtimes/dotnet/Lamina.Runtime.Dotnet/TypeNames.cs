namespace Lamina.Runtime.Dotnet;

/// <summary>The function-side types the host works with, known only by name (AWS's package or Lamina.Lambda.Core).</summary>
internal static class TypeNames
{
    public const string ILambdaContext = "Amazon.Lambda.Core.ILambdaContext";
    public const string ILambdaLogger = "Amazon.Lambda.Core.ILambdaLogger";
    public const string IClientContext = "Amazon.Lambda.Core.IClientContext";
    public const string IClientApplication = "Amazon.Lambda.Core.IClientApplication";
    public const string ICognitoIdentity = "Amazon.Lambda.Core.ICognitoIdentity";
    public const string ILambdaSerializer = "Amazon.Lambda.Core.ILambdaSerializer";
    public const string LambdaSerializerAttribute = "Amazon.Lambda.Core.LambdaSerializerAttribute";
    public const string LambdaLogger = "Amazon.Lambda.Core.LambdaLogger";

    /// <summary>Assemblies that may define <see cref="LambdaLogger"/>: AWS's package and Lamina's stand-in.</summary>
    public static readonly string[] CoreAssemblies = ["Amazon.Lambda.Core", "Lamina.Lambda.Core"];
}
