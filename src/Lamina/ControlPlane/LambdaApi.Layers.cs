using System.Globalization;
using Lamina.Core.Api.Lambda;
using Lamina.Core.Errors;
using Lamina.Core.Functions;
using Lamina.Core.Layers;
using Lamina.Http;

namespace Lamina.ControlPlane;

internal static partial class LambdaApi
{
    private static LayerService Layers(ApiCall call) => call.Service<LayerService>();

    /// <summary>The layer's (account, name) and the ARN of the version being addressed, for authorization.</summary>
    private static Outcome<(string Account, string Name)> LayerName(ApiCall call) => Layers(call).ParseName(call.Route("LayerName"), call.Caller.AccountId);

    private static Outcome<long> VersionNumber(ApiCall call)
    {
        var raw = call.Route("VersionNumber");
        return long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var version)
            ? version
            : LambdaErrors.Validation($"1 validation error detected: Value '{raw}' at 'versionNumber' failed to satisfy constraint: Member must be a number");
    }

    private static async Task<ApiResult> PublishLayerVersion(ApiCall call)
    {
        var request = call.ReadJson(LambdaJson.Wire.PublishLayerVersionRequest);
        if (!request.TryGetValue(out var body, out var error) || !LayerName(call).TryGetValue(out var layer, out error))
        {
            return error;
        }

        if (await call.AuthorizeAsync("lambda:PublishLayerVersion", Arns.Layer(Region(call), layer.Account, layer.Name), layer.Account) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(await Layers(call).PublishAsync(call.Caller.AccountId, call.Route("LayerName"), body, Signer(call), call.Aborted()),
            201, LambdaJson.Wire.LayerVersionResponse);
    }

    private static async Task<ApiResult> GetLayerVersion(ApiCall call)
    {
        if (!LayerName(call).TryGetValue(out var layer, out var error) || !VersionNumber(call).TryGetValue(out var version, out error))
        {
            return error;
        }

        var resource = Arns.LayerVersion(Region(call), layer.Account, layer.Name, version);
        var policy = await Policies(call).LayerPolicyDocumentAsync(layer.Account, layer.Name, version, call.Aborted());
        if (await call.AuthorizeAsync("lambda:GetLayerVersion", resource, layer.Account, policy) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(await Layers(call).GetVersionAsync(call.Caller.AccountId, call.Route("LayerName"), version, Signer(call), call.Aborted()),
            200, LambdaJson.Wire.LayerVersionResponse);
    }

    private static async Task<ApiResult> DeleteLayerVersion(ApiCall call)
    {
        if (!LayerName(call).TryGetValue(out var layer, out var error) || !VersionNumber(call).TryGetValue(out var version, out error))
        {
            return error;
        }

        var resource = Arns.LayerVersion(Region(call), layer.Account, layer.Name, version);
        if (await call.AuthorizeAsync("lambda:DeleteLayerVersion", resource, layer.Account) is { } denied)
        {
            return denied;
        }

        return ApiResult.Empty(await Layers(call).DeleteVersionAsync(call.Caller.AccountId, call.Route("LayerName"), version, call.Aborted()));
    }

    private static async Task<ApiResult> ListLayerVersions(ApiCall call)
    {
        var max = call.QueryInt("MaxItems", "maxItems");
        if (!max.TryGetValue(out var maxItems, out var error) || !LayerName(call).TryGetValue(out var layer, out error))
        {
            return error;
        }

        if (await call.AuthorizeAsync("lambda:ListLayerVersions", "*", layer.Account) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(
            await Layers(call).ListVersionsAsync(call.Caller.AccountId, call.Route("LayerName"), call.Query("CompatibleRuntime"),
                call.Query("CompatibleArchitecture"), call.Query("Marker"), maxItems, call.Aborted()),
            200, LambdaJson.Wire.ListLayerVersionsResponse);
    }

    /// <summary>lambda:GetLayerVersion on a layer version ARN, with that version's policy (cross-account layer use needs it).</summary>
    private static async ValueTask<AwsError?> AuthorizeLayerUseAsync(ApiCall call, string layerVersionArn)
    {
        var parts = layerVersionArn.Split(':');
        if (parts.Length != 8 || !long.TryParse(parts[7], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            return null;
        }

        var policy = await Policies(call).LayerPolicyDocumentAsync(parts[4], parts[6], version, call.Aborted());
        return await call.AuthorizeAsync("lambda:GetLayerVersion", layerVersionArn, parts[4], policy);
    }

    private static async Task<ApiResult> ListLayersOrGetByArn(ApiCall call)
    {
        if (call.Query("find") == "LayerVersion")
        {
            var arn = call.Query("Arn");
            if (arn is not null && await AuthorizeLayerUseAsync(call, arn) is { } deniedGet)
            {
                return deniedGet;
            }

            return ApiResult.From(await Layers(call).GetVersionByArnAsync(call.Caller.AccountId, arn, Signer(call), call.Aborted()), 200,
                LambdaJson.Wire.LayerVersionResponse);
        }

        var max = call.QueryInt("MaxItems", "maxItems");
        if (!max.TryGetValue(out var maxItems, out var error))
        {
            return error;
        }

        if (await call.AuthorizeAsync("lambda:ListLayers", "*", call.Caller.AccountId) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(
            await Layers(call).ListAsync(call.Caller.AccountId, call.Query("CompatibleRuntime"), call.Query("CompatibleArchitecture"),
                call.Query("Marker"), maxItems, call.Aborted()),
            200, LambdaJson.Wire.ListLayersResponse);
    }
}
