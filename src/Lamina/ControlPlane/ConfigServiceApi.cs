using Lamina.Core.Api.Audit;
using Lamina.Core.ConfigHistory;
using Lamina.Http;

namespace Lamina.ControlPlane;

/// <summary>
/// The AWS Config JSON 1.1 API (botocore config 2014-11-12, X-Amz-Target <c>StarlingDoveService.*</c>):
/// GetResourceConfigHistory over Lamina's configuration history, so that
/// <c>aws configservice get-resource-config-history</c> works.
/// </summary>
internal static class ConfigServiceApi
{
    public static void Map(RootDispatcher root) => root.Add("config", "GetResourceConfigHistory", GetResourceConfigHistory);

    private static async Task<ApiResult> GetResourceConfigHistory(ApiCall call)
    {
        if (!call.ReadJson(ConfigJson.Default.GetResourceConfigHistoryRequest).TryGetValue(out var request, out var error))
        {
            return error;
        }

        if (await call.AuthorizeAsync("config:GetResourceConfigHistory", "*", call.Caller.AccountId) is { } denied)
        {
            return denied;
        }

        if (request.ChronologicalOrder is not (null or "Forward" or "Reverse"))
        {
            return new Core.Errors.AwsError(400, "ValidationException",
                $"Value '{request.ChronologicalOrder}' at 'chronologicalOrder' failed to satisfy constraint: Member must satisfy enum value set: [Reverse, Forward]");
        }

        var history = call.Service<ConfigHistoryService>();
        var page = await history.GetAsync(call.Caller.AccountId, request.ResourceType ?? "", request.ResourceId ?? "", request.EarlierTime,
            request.LaterTime, request.ChronologicalOrder == "Forward", request.Limit, request.NextToken, call.Aborted());
        if (!page.TryGetValue(out var result, out error))
        {
            return error;
        }

        return ApiResult.Json(200, new GetResourceConfigHistoryResponse
        {
            ConfigurationItems = result.Changes.Select(history.ToItem).ToList(),
            NextToken = result.NextToken,
        }, ConfigJson.Default.GetResourceConfigHistoryResponse);
    }
}
