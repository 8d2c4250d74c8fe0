using System.Text.Json;

namespace Amazon.Lambda.Serialization.SystemTextJson;

/// <summary><see cref="DefaultLambdaJsonSerializer"/> with camelCase property names (<c>FirstName</c> is <c>firstName</c>).</summary>
public class CamelCaseLambdaJsonSerializer : DefaultLambdaJsonSerializer
{
    public CamelCaseLambdaJsonSerializer()
    {
    }

    /// <param name="customizer">Adjusts the options after the defaults are set.</param>
    public CamelCaseLambdaJsonSerializer(Action<JsonSerializerOptions>? customizer)
        : base(customizer)
    {
    }

    private protected override JsonNamingPolicy NamingPolicy => new AwsNamingPolicy(JsonNamingPolicy.CamelCase);
}
