using Lamina.Core.Api.Lambda;
using Lamina.Core.Auth;
using Lamina.Core.Functions;
using Lamina.Http;

namespace Lamina.ControlPlane;

internal static partial class LambdaApi
{
    private static FunctionService Functions(ApiCall call) => call.Service<FunctionService>();

    private static string Region(ApiCall call) => call.Service<ControlPlaneOptions>().Region;

    private static CodeUrlSigner Signer(ApiCall call) =>
        new(call.BaseUrl, call.Service<Authenticator>(), call.Service<ControlPlaneOptions>(), call.Service<TimeProvider>());

    private static async Task<ApiResult> CreateFunction(ApiCall call)
    {
        var request = call.ReadJson(LambdaJson.Wire.CreateFunctionRequest);
        if (!request.TryGetValue(out var body, out var error))
        {
            return error;
        }

        var name = body.FunctionName ?? "";
        var target = FunctionTarget.Parse(name.Length == 0 ? "-" : name, null, call.Caller.AccountId, Region(call), 140);
        var resource = target.IsSuccess ? target.Value.UnqualifiedArn(Region(call)) : Arns.Function(Region(call), call.Caller.AccountId, name);
        var denied = await call.AuthorizeAsync("lambda:CreateFunction", resource, target.IsSuccess ? target.Value.AccountId : call.Caller.AccountId)
                     ?? await AuthorizeRoleAndLayersAsync(call, body.Role, body.Layers);
        if (denied is not null)
        {
            return denied;
        }

        return ApiResult.From(await Functions(call).CreateAsync(call.Caller, body, call.Aborted()), 201,
            LambdaJson.Wire.FunctionConfiguration);
    }

    /// <summary>
    /// Giving a function a role needs iam:PassRole on it (to lambda.amazonaws.com); using a layer needs
    /// lambda:GetLayerVersion on it, which for another account's layer only its layer-version policy grants.
    /// </summary>
    private static async ValueTask<Core.Errors.AwsError?> AuthorizeRoleAndLayersAsync(ApiCall call, string? role, List<string>? layers)
    {
        if (role is not null && role.Split(':') is { Length: 6 } parts &&
            await call.AuthorizeAsync("iam:PassRole", role, parts[4], context: new Dictionary<string, string>
            {
                ["iam:PassedToService"] = Core.Iam.ExecutionRoles.LambdaService,
            }) is { } denied)
        {
            return denied;
        }

        foreach (var layer in layers ?? [])
        {
            if (await AuthorizeLayerUseAsync(call, layer) is { } deniedLayer)
            {
                return deniedLayer;
            }
        }

        return null;
    }

    private static async Task<ApiResult> ListFunctions(ApiCall call)
    {
        var max = call.QueryInt("MaxItems", "maxItems");
        if (!max.TryGetValue(out var maxItems, out var error))
        {
            return error;
        }

        if (await call.AuthorizeAsync("lambda:ListFunctions", "*", call.Caller.AccountId) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(
            await Functions(call).ListAsync(call.Caller, call.Query("FunctionVersion"), call.Query("Marker"), maxItems, call.Aborted()),
            200, LambdaJson.Wire.ListFunctionsResponse);
    }

    private static async Task<ApiResult> GetFunction(ApiCall call)
    {
        if (!call.Target().TryGetValue(out var target, out var error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:GetFunction", target) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(await Functions(call).GetAsync(call.Caller, target, Signer(call), call.Aborted()), 200, LambdaJson.Wire.GetFunctionResponse);
    }

    private static async Task<ApiResult> GetFunctionConfiguration(ApiCall call)
    {
        if (!call.Target().TryGetValue(out var target, out var error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:GetFunctionConfiguration", target) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(await Functions(call).GetConfigurationAsync(call.Caller, target, call.Aborted()), 200, LambdaJson.Wire.FunctionConfiguration);
    }

    private static async Task<ApiResult> DeleteFunction(ApiCall call)
    {
        if (!call.Target().TryGetValue(out var target, out var error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:DeleteFunction", target) is { } denied)
        {
            return denied;
        }

        return ApiResult.Empty(await Functions(call).DeleteAsync(target, call.Aborted()));
    }

    private static async Task<ApiResult> UpdateFunctionConfiguration(ApiCall call)
    {
        var request = call.ReadJson(LambdaJson.Wire.UpdateFunctionConfigurationRequest);
        if (!request.TryGetValue(out var body, out var error) || !call.Target(false).TryGetValue(out var target, out error))
        {
            return error;
        }

        var denied = await call.AuthorizeFunctionAsync("lambda:UpdateFunctionConfiguration", target)
                     ?? await AuthorizeRoleAndLayersAsync(call, body.Role, body.Layers);
        if (denied is not null)
        {
            return denied;
        }

        return ApiResult.From(await Functions(call).UpdateConfigurationAsync(call.Caller, target, body, call.Aborted()), 200, LambdaJson.Wire.FunctionConfiguration);
    }

    private static async Task<ApiResult> UpdateFunctionCode(ApiCall call)
    {
        var request = call.ReadJson(LambdaJson.Wire.UpdateFunctionCodeRequest);
        if (!request.TryGetValue(out var body, out var error) || !call.Target(false).TryGetValue(out var target, out error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:UpdateFunctionCode", target) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(await Functions(call).UpdateCodeAsync(call.Caller, target, body, call.Aborted()), 200, LambdaJson.Wire.FunctionConfiguration);
    }

    private static async Task<ApiResult> PublishVersion(ApiCall call)
    {
        var request = call.ReadJson(LambdaJson.Wire.PublishVersionRequest);
        if (!request.TryGetValue(out var body, out var error) || !call.Target(false).TryGetValue(out var target, out error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:PublishVersion", target) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(await Functions(call).PublishVersionAsync(call.Caller, target, body, call.Aborted()), 201, LambdaJson.Wire.FunctionConfiguration);
    }

    private static async Task<ApiResult> ListVersionsByFunction(ApiCall call)
    {
        var max = call.QueryInt("MaxItems", "maxItems");
        if (!max.TryGetValue(out var maxItems, out var error) || !call.Target(false).TryGetValue(out var target, out error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:ListVersionsByFunction", target) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(await Functions(call).ListVersionsAsync(call.Caller, target, call.Query("Marker"), maxItems, call.Aborted()), 200,
            LambdaJson.Wire.ListVersionsByFunctionResponse);
    }

    private static async Task<ApiResult> GetAccountSettings(ApiCall call)
    {
        if (await call.AuthorizeAsync("lambda:GetAccountSettings", "*", call.Caller.AccountId) is { } denied)
        {
            return denied;
        }

        return ApiResult.Json(200, await Functions(call).GetAccountSettingsAsync(call.Caller.AccountId, call.Aborted()),
            LambdaJson.Wire.GetAccountSettingsResponse);
    }

    /// <summary>Serves a presigned code location; the front door admits only Lamina's service key here.</summary>
    private static async Task<ApiResult> DownloadCode(ApiCall call)
    {
        var bytes = await Functions(call).ReadCodeAsync(call.Route("BlobId"), call.Aborted());
        return bytes is null
            ? new Core.Errors.AwsError(404, "NoSuchKey", "The specified key does not exist.")
            : ApiResult.Bytes(200, bytes, "application/zip");
    }
}
