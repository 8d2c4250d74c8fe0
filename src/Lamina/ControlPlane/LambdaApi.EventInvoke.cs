using Lamina.Core.Api.Lambda;
using Lamina.Core.Async;
using Lamina.Http;

namespace Lamina.ControlPlane;

internal static partial class LambdaApi
{
    private static AsyncInvokeService Async(ApiCall call) => call.Service<AsyncInvokeService>();

    private static Task<ApiResult> PutEventInvokeConfig(ApiCall call) => WriteEventInvokeConfig(call, "lambda:PutFunctionEventInvokeConfig", merge: false);

    private static Task<ApiResult> UpdateEventInvokeConfig(ApiCall call) => WriteEventInvokeConfig(call, "lambda:UpdateFunctionEventInvokeConfig", merge: true);

    private static async Task<ApiResult> WriteEventInvokeConfig(ApiCall call, string action, bool merge)
    {
        var request = call.ReadJson(LambdaJson.Wire.EventInvokeConfigRequest);
        if (!request.TryGetValue(out var body, out var error) || !call.Target().TryGetValue(out var target, out error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync(action, target) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(await Async(call).PutConfigAsync(target, body, merge, call.Aborted()), 200, LambdaJson.Wire.FunctionEventInvokeConfig);
    }

    private static async Task<ApiResult> GetEventInvokeConfig(ApiCall call)
    {
        if (!call.Target().TryGetValue(out var target, out var error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:GetFunctionEventInvokeConfig", target) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(await Async(call).GetConfigAsync(target, call.Aborted()), 200, LambdaJson.Wire.FunctionEventInvokeConfig);
    }

    private static async Task<ApiResult> DeleteEventInvokeConfig(ApiCall call)
    {
        if (!call.Target().TryGetValue(out var target, out var error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:DeleteFunctionEventInvokeConfig", target) is { } denied)
        {
            return denied;
        }

        return ApiResult.Empty(await Async(call).DeleteConfigAsync(target, call.Aborted()));
    }

    private static async Task<ApiResult> ListEventInvokeConfigs(ApiCall call)
    {
        if (!call.Target(false).TryGetValue(out var target, out var error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:ListFunctionEventInvokeConfigs", target) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(await Async(call).ListConfigsAsync(target, call.Aborted()), 200, LambdaJson.Wire.ListFunctionEventInvokeConfigsResponse);
    }
}
