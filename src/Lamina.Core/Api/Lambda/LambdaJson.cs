using System.Text.Json.Serialization;

namespace Lamina.Core.Api.Lambda;

/// <summary>
/// Source-generated (de)serializers for the Lambda wire shapes: no reflection on the request path.
/// Nulls are omitted on write, as AWS omits absent members.
/// </summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = false,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(CreateFunctionRequest))]
[JsonSerializable(typeof(UpdateFunctionConfigurationRequest))]
[JsonSerializable(typeof(UpdateFunctionCodeRequest))]
[JsonSerializable(typeof(FunctionConfiguration))]
[JsonSerializable(typeof(GetFunctionResponse))]
[JsonSerializable(typeof(ListFunctionsResponse))]
[JsonSerializable(typeof(PublishVersionRequest))]
[JsonSerializable(typeof(ListVersionsByFunctionResponse))]
[JsonSerializable(typeof(AliasConfiguration))]
[JsonSerializable(typeof(CreateAliasRequest))]
[JsonSerializable(typeof(UpdateAliasRequest))]
[JsonSerializable(typeof(ListAliasesResponse))]
[JsonSerializable(typeof(PublishLayerVersionRequest))]
[JsonSerializable(typeof(LayerVersionResponse))]
[JsonSerializable(typeof(ListLayersResponse))]
[JsonSerializable(typeof(ListLayerVersionsResponse))]
[JsonSerializable(typeof(TagResourceRequest))]
[JsonSerializable(typeof(ListTagsResponse))]
[JsonSerializable(typeof(PutFunctionConcurrencyRequest))]
[JsonSerializable(typeof(Concurrency))]
[JsonSerializable(typeof(PutProvisionedConcurrencyConfigRequest))]
[JsonSerializable(typeof(ProvisionedConcurrencyConfig))]
[JsonSerializable(typeof(ListProvisionedConcurrencyConfigsResponse))]
[JsonSerializable(typeof(GetAccountSettingsResponse))]
[JsonSerializable(typeof(AddPermissionRequest))]
[JsonSerializable(typeof(AddPermissionResponse))]
[JsonSerializable(typeof(GetPolicyResponse))]
[JsonSerializable(typeof(AddLayerVersionPermissionRequest))]
[JsonSerializable(typeof(AddLayerVersionPermissionResponse))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<string>))]
internal sealed partial class LambdaJson : JsonSerializerContext
{
    /// <summary>
    /// The context responses are written with: AWS escapes only what JSON requires, so '+' in a
    /// CodeSha256 or an apostrophe in a message stays literal instead of becoming \u002B.
    /// </summary>
    public static LambdaJson Wire { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
