using Lamina.Core.Api.Lambda;
using Lamina.Core.Functions;
using Lamina.Http;

namespace Lamina.ControlPlane;

internal static partial class LambdaApi
{
    private static async Task<ApiResult> CreateAlias(ApiCall call)
    {
        var request = call.ReadJson(LambdaJson.Wire.CreateAliasRequest);
        if (!request.TryGetValue(out var body, out var error) || !call.Target(false).TryGetValue(out var target, out error))
        {
            return error;
        }

        var resource = Arns.Function(Region(call), target.AccountId, target.Name, body.Name);
        if (await call.AuthorizeAsync("lambda:CreateAlias", resource, target.AccountId) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(await Functions(call).CreateAliasAsync(target, body, call.Aborted()), 201, LambdaJson.Wire.AliasConfiguration);
    }

    private static async Task<ApiResult> GetAlias(ApiCall call)
    {
        if (!call.Target(false).TryGetValue(out var target, out var error))
        {
            return error;
        }

        var name = call.Route("Name");
        if (await call.AuthorizeAsync("lambda:GetAlias", Arns.Function(Region(call), target.AccountId, target.Name, name), target.AccountId) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(await Functions(call).GetAliasAsync(target, name, call.Aborted()), 200, LambdaJson.Wire.AliasConfiguration);
    }

    private static async Task<ApiResult> UpdateAlias(ApiCall call)
    {
        var request = call.ReadJson(LambdaJson.Wire.UpdateAliasRequest);
        if (!request.TryGetValue(out var body, out var error) || !call.Target(false).TryGetValue(out var target, out error))
        {
            return error;
        }

        var name = call.Route("Name");
        if (await call.AuthorizeAsync("lambda:UpdateAlias", Arns.Function(Region(call), target.AccountId, target.Name, name), target.AccountId) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(await Functions(call).UpdateAliasAsync(target, name, body, call.Aborted()), 200, LambdaJson.Wire.AliasConfiguration);
    }

    private static async Task<ApiResult> DeleteAlias(ApiCall call)
    {
        if (!call.Target(false).TryGetValue(out var target, out var error))
        {
            return error;
        }

        var name = call.Route("Name");
        if (await call.AuthorizeAsync("lambda:DeleteAlias", Arns.Function(Region(call), target.AccountId, target.Name, name), target.AccountId) is { } denied)
        {
            return denied;
        }

        return ApiResult.Empty(await Functions(call).DeleteAliasAsync(target, name, call.Aborted()));
    }

    private static async Task<ApiResult> ListAliases(ApiCall call)
    {
        var max = call.QueryInt("MaxItems", "maxItems");
        if (!max.TryGetValue(out var maxItems, out var error) || !call.Target(false).TryGetValue(out var target, out error))
        {
            return error;
        }

        if (await call.AuthorizeAsync("lambda:ListAliases", target.UnqualifiedArn(Region(call)), target.AccountId) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(
            await Functions(call).ListAliasesAsync(target, call.Query("FunctionVersion"), call.Query("Marker"), maxItems, call.Aborted()),
            200, LambdaJson.Wire.ListAliasesResponse);
    }
}
