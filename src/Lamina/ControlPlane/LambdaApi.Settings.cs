using System.Text.RegularExpressions;
using Lamina.Core.Api.Lambda;
using Lamina.Core.Errors;
using Lamina.Core.Functions;
using Lamina.Http;

namespace Lamina.ControlPlane;

internal static partial class LambdaApi
{
    private const string TaggableArnPattern =
        @"arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:\d{12}:(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|layer:[a-zA-Z0-9-_]+)";

    [GeneratedRegex(@"^arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:\d{12}:function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?$")]
    private static partial Regex FunctionArnRegex();

    /// <summary>The tagged resource: a function ARN (tags on layers and other resources are not stored).</summary>
    private static Outcome<FunctionTarget> TagTarget(ApiCall call)
    {
        var resource = call.Route("Resource");
        if (!FunctionArnRegex().IsMatch(resource))
        {
            return LambdaErrors.Validation(
                $"1 validation error detected: Value '{resource}' at 'resource' failed to satisfy constraint: Member must satisfy regular expression pattern: {TaggableArnPattern}");
        }

        return FunctionTarget.Parse(resource, null, call.Caller.AccountId, Region(call));
    }

    private static async Task<ApiResult> TagResource(ApiCall call)
    {
        var request = call.ReadJson(LambdaJson.Wire.TagResourceRequest);
        if (!request.TryGetValue(out var body, out var error) || !TagTarget(call).TryGetValue(out var target, out error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:TagResource", target) is { } denied)
        {
            return denied;
        }

        return ApiResult.Empty(await Functions(call).TagAsync(target, body.Tags, call.Aborted()));
    }

    private static async Task<ApiResult> UntagResource(ApiCall call)
    {
        if (!TagTarget(call).TryGetValue(out var target, out var error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:UntagResource", target) is { } denied)
        {
            return denied;
        }

        return ApiResult.Empty(await Functions(call).UntagAsync(target, call.QueryAll("tagKeys"), call.Aborted()));
    }

    private static async Task<ApiResult> ListTags(ApiCall call)
    {
        if (!TagTarget(call).TryGetValue(out var target, out var error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:ListTags", target) is { } denied)
        {
            return denied;
        }

        var tags = await Functions(call).ListTagsAsync(target, call.Aborted());
        return tags.IsSuccess ? ApiResult.Json(200, new ListTagsResponse { Tags = tags.Value }, LambdaJson.Wire.ListTagsResponse) : tags.Error;
    }

    private static async Task<ApiResult> PutFunctionConcurrency(ApiCall call)
    {
        var request = call.ReadJson(LambdaJson.Wire.PutFunctionConcurrencyRequest);
        if (!request.TryGetValue(out var body, out var error) || !call.Target(false).TryGetValue(out var target, out error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:PutFunctionConcurrency", target) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(await Functions(call).PutConcurrencyAsync(target, body.ReservedConcurrentExecutions, call.Aborted()), 200,
            LambdaJson.Wire.Concurrency);
    }

    private static async Task<ApiResult> GetFunctionConcurrency(ApiCall call)
    {
        if (!call.Target(false).TryGetValue(out var target, out var error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:GetFunctionConcurrency", target) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(await Functions(call).GetConcurrencyAsync(target, call.Aborted()), 200, LambdaJson.Wire.Concurrency);
    }

    private static async Task<ApiResult> DeleteFunctionConcurrency(ApiCall call)
    {
        if (!call.Target(false).TryGetValue(out var target, out var error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:DeleteFunctionConcurrency", target) is { } denied)
        {
            return denied;
        }

        return ApiResult.Empty(await Functions(call).DeleteConcurrencyAsync(target, call.Aborted()));
    }

    private static async Task<ApiResult> PutProvisionedConcurrencyConfig(ApiCall call)
    {
        var request = call.ReadJson(LambdaJson.Wire.PutProvisionedConcurrencyConfigRequest);
        if (!request.TryGetValue(out var body, out var error) || !call.Target().TryGetValue(out var target, out error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:PutProvisionedConcurrencyConfig", target) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(await Functions(call).PutProvisionedAsync(target, body.ProvisionedConcurrentExecutions, call.Aborted()), 202,
            LambdaJson.Wire.ProvisionedConcurrencyConfig);
    }

    private static async Task<ApiResult> GetOrListProvisioned(ApiCall call)
    {
        if (call.Query("List") == "ALL")
        {
            if (!call.Target(false).TryGetValue(out var fn, out var listError))
            {
                return listError;
            }

            if (await call.AuthorizeAsync("lambda:ListProvisionedConcurrencyConfigs", fn.UnqualifiedArn(Region(call)), fn.AccountId) is { } deniedList)
            {
                return deniedList;
            }

            return ApiResult.From(await Functions(call).ListProvisionedAsync(fn, call.Aborted()), 200,
                LambdaJson.Wire.ListProvisionedConcurrencyConfigsResponse);
        }

        if (!call.Target().TryGetValue(out var target, out var error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:GetProvisionedConcurrencyConfig", target) is { } denied)
        {
            return denied;
        }

        return ApiResult.From(await Functions(call).GetProvisionedAsync(target, call.Aborted()), 200, LambdaJson.Wire.ProvisionedConcurrencyConfig);
    }

    private static async Task<ApiResult> DeleteProvisionedConcurrencyConfig(ApiCall call)
    {
        if (!call.Target().TryGetValue(out var target, out var error))
        {
            return error;
        }

        if (await call.AuthorizeFunctionAsync("lambda:DeleteProvisionedConcurrencyConfig", target) is { } denied)
        {
            return denied;
        }

        return ApiResult.Empty(await Functions(call).DeleteProvisionedAsync(target, call.Aborted()));
    }
}
