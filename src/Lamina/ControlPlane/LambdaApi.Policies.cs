using Lamina.Core.Api.Lambda;
using Lamina.Core.Iam;
using Lamina.Http;

namespace Lamina.ControlPlane;

internal static partial class LambdaApi
{
    private static ResourcePolicies Policies(ApiCall call) => call.Service<ResourcePolicies>();

    private static async Task<ApiResult> AddPermission(ApiCall call)
    {
        var request = call.ReadJson(LambdaJson.Wire.AddPermissionRequest);
        if (!request.TryGetValue(out var body, out var error) || !call.Target().TryGetValue(out var target, out error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:AddPermission", target) is { } denied)
        {
            return denied;
        }

        var result = await Policies(call).AddAsync(target, body, call.Aborted());
        call.Service<PolicyAuthorizer>().Invalidate();
        return ApiResult.From(result, 201, LambdaJson.Wire.AddPermissionResponse);
    }

    private static async Task<ApiResult> GetPolicy(ApiCall call)
    {
        if (!call.Target().TryGetValue(out var target, out var error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:GetPolicy", target) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(await Policies(call).GetAsync(target, call.Aborted()), 200, LambdaJson.Wire.GetPolicyResponse);
    }

    private static async Task<ApiResult> RemovePermission(ApiCall call)
    {
        if (!call.Target().TryGetValue(out var target, out var error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:RemovePermission", target) is { } denied)
        {
            return denied;
        }

        var result = await Policies(call).RemoveAsync(target, call.Route("StatementId"), call.Query("RevisionId"), call.Aborted());
        call.Service<PolicyAuthorizer>().Invalidate();
        return ApiResult.Empty(result);
    }

    private static async Task<ApiResult> AddLayerVersionPermission(ApiCall call)
    {
        var request = call.ReadJson(LambdaJson.Wire.AddLayerVersionPermissionRequest);
        if (!request.TryGetValue(out var body, out var error) || !LayerName(call).TryGetValue(out var layer, out error) ||
            !VersionNumber(call).TryGetValue(out var version, out error))
        {
            return error;
        }

        var resource = Core.Functions.Arns.LayerVersion(Region(call), layer.Account, layer.Name, version);
        if (await call.AuthorizeAsync("lambda:AddLayerVersionPermission", resource, layer.Account) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(await Policies(call).AddLayerAsync(layer.Account, layer.Name, version, body, call.Aborted()), 201,
            LambdaJson.Wire.AddLayerVersionPermissionResponse);
    }

    private static async Task<ApiResult> GetLayerVersionPolicy(ApiCall call)
    {
        if (!LayerName(call).TryGetValue(out var layer, out var error) || !VersionNumber(call).TryGetValue(out var version, out error))
        {
            return error;
        }

        var resource = Core.Functions.Arns.LayerVersion(Region(call), layer.Account, layer.Name, version);
        if (await call.AuthorizeAsync("lambda:GetLayerVersionPolicy", resource, layer.Account) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(await Policies(call).GetLayerAsync(layer.Account, layer.Name, version, call.Aborted()), 200,
            LambdaJson.Wire.GetPolicyResponse);
    }

    private static async Task<ApiResult> RemoveLayerVersionPermission(ApiCall call)
    {
        if (!LayerName(call).TryGetValue(out var layer, out var error) || !VersionNumber(call).TryGetValue(out var version, out error))
        {
            return error;
        }

        var resource = Core.Functions.Arns.LayerVersion(Region(call), layer.Account, layer.Name, version);
        if (await call.AuthorizeAsync("lambda:RemoveLayerVersionPermission", resource, layer.Account) is { } denied)
        {
            return denied;
        }

        return ApiResult.Empty(await Policies(call).RemoveLayerAsync(layer.Account, layer.Name, version, call.Route("StatementId"),
            call.Query("RevisionId"), call.Aborted()));
    }
}
