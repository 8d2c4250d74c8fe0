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
[JsonSerializable(typeof(List<FunctionConfiguration>))]
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
[JsonSerializable(typeof(EventInvokeConfigRequest))]
[JsonSerializable(typeof(FunctionEventInvokeConfig))]
[JsonSerializable(typeof(ListFunctionEventInvokeConfigsResponse))]
[JsonSerializable(typeof(InvokeAsyncResponse))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<string>))]
internal sealed partial class LambdaJson : JsonSerializerContext
{
    /// <summary>
    /// The context API requests are read and responses written with. Its options are the generated
    /// ones, so serialization takes the source-generated fast path; AWS's relaxed escaping ('+' in a
    /// CodeSha256 stays literal, not \u002B) comes from the writer every response is written through
    /// (<c>ApiResult</c> in the server), because an encoder in these options would turn the fast path off.
    /// </summary>
    public static LambdaJson Wire => Default;
}
