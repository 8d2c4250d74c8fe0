using Lamina.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Lamina.ControlPlane;

/// <summary>
/// The Lambda REST-JSON API routes (botocore lambda 2015-03-31 model: method, path and success status
/// per operation). Each route carries its <see cref="ApiOperation"/> for the front door.
/// </summary>
internal static partial class LambdaApi
{
    /// <summary>AWS: "Request must be smaller than 70167211 bytes for the CreateFunction operation".</summary>
    public const long MaxCodeUploadRequest = 70_167_211;

    public static void Map(IEndpointRouteBuilder app)
    {
        Route(app, "POST", "/2015-03-31/functions", "CreateFunction", CreateFunction, MaxCodeUploadRequest);
        Route(app, "GET", "/2015-03-31/functions", "ListFunctions", ListFunctions);
        Route(app, "GET", "/2015-03-31/functions/{FunctionName}", "GetFunction", GetFunction);
        Route(app, "DELETE", "/2015-03-31/functions/{FunctionName}", "DeleteFunction", DeleteFunction);
        Route(app, "GET", "/2015-03-31/functions/{FunctionName}/configuration", "GetFunctionConfiguration", GetFunctionConfiguration);
        Route(app, "PUT", "/2015-03-31/functions/{FunctionName}/configuration", "UpdateFunctionConfiguration", UpdateFunctionConfiguration);
        Route(app, "PUT", "/2015-03-31/functions/{FunctionName}/code", "UpdateFunctionCode", UpdateFunctionCode, MaxCodeUploadRequest);
        Route(app, "POST", "/2015-03-31/functions/{FunctionName}/versions", "PublishVersion", PublishVersion);
        Route(app, "GET", "/2015-03-31/functions/{FunctionName}/versions", "ListVersionsByFunction", ListVersionsByFunction);

        Route(app, "POST", "/2015-03-31/functions/{FunctionName}/aliases", "CreateAlias", CreateAlias);
        Route(app, "GET", "/2015-03-31/functions/{FunctionName}/aliases", "ListAliases", ListAliases);
        Route(app, "GET", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", "GetAlias", GetAlias);
        Route(app, "PUT", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", "UpdateAlias", UpdateAlias);
        Route(app, "DELETE", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", "DeleteAlias", DeleteAlias);

        Route(app, "POST", "/2018-10-31/layers/{LayerName}/versions", "PublishLayerVersion", PublishLayerVersion, MaxCodeUploadRequest);
        Route(app, "GET", "/2018-10-31/layers/{LayerName}/versions", "ListLayerVersions", ListLayerVersions);
        Route(app, "GET", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}", "GetLayerVersion", GetLayerVersion);
        Route(app, "DELETE", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}", "DeleteLayerVersion", DeleteLayerVersion);
        // ListLayers and GetLayerVersionByArn share GET /2018-10-31/layers; "?find=LayerVersion" picks the latter.
        Route(app, "GET", "/2018-10-31/layers", "ListLayers", ListLayersOrGetByArn);

        Route(app, "POST", "/2017-03-31/tags/{Resource}", "TagResource", TagResource);
        Route(app, "DELETE", "/2017-03-31/tags/{Resource}", "UntagResource", UntagResource);
        Route(app, "GET", "/2017-03-31/tags/{Resource}", "ListTags", ListTags);

        Route(app, "PUT", "/2017-10-31/functions/{FunctionName}/concurrency", "PutFunctionConcurrency", PutFunctionConcurrency);
        Route(app, "DELETE", "/2017-10-31/functions/{FunctionName}/concurrency", "DeleteFunctionConcurrency", DeleteFunctionConcurrency);
        Route(app, "GET", "/2019-09-30/functions/{FunctionName}/concurrency", "GetFunctionConcurrency", GetFunctionConcurrency);
        Route(app, "PUT", "/2019-09-30/functions/{FunctionName}/provisioned-concurrency", "PutProvisionedConcurrencyConfig", PutProvisionedConcurrencyConfig);
        // Get and List share the path; "?List=ALL" picks ListProvisionedConcurrencyConfigs.
        Route(app, "GET", "/2019-09-30/functions/{FunctionName}/provisioned-concurrency", "GetProvisionedConcurrencyConfig", GetOrListProvisioned);
        Route(app, "DELETE", "/2019-09-30/functions/{FunctionName}/provisioned-concurrency", "DeleteProvisionedConcurrencyConfig", DeleteProvisionedConcurrencyConfig);

        Route(app, "GET", "/2016-08-19/account-settings", "GetAccountSettings", GetAccountSettings);

        Route(app, "PUT", "/2019-09-25/functions/{FunctionName}/event-invoke-config", "PutFunctionEventInvokeConfig", PutEventInvokeConfig);
        Route(app, "POST", "/2019-09-25/functions/{FunctionName}/event-invoke-config", "UpdateFunctionEventInvokeConfig", UpdateEventInvokeConfig);
        Route(app, "GET", "/2019-09-25/functions/{FunctionName}/event-invoke-config", "GetFunctionEventInvokeConfig", GetEventInvokeConfig);
        Route(app, "DELETE", "/2019-09-25/functions/{FunctionName}/event-invoke-config", "DeleteFunctionEventInvokeConfig", DeleteEventInvokeConfig);
        Route(app, "GET", "/2019-09-25/functions/{FunctionName}/event-invoke-config/list", "ListFunctionEventInvokeConfigs", ListEventInvokeConfigs);

        Route(app, "POST", "/2015-03-31/functions/{FunctionName}/policy", "AddPermission", AddPermission);
        Route(app, "GET", "/2015-03-31/functions/{FunctionName}/policy", "GetPolicy", GetPolicy);
        Route(app, "DELETE", "/2015-03-31/functions/{FunctionName}/policy/{StatementId}", "RemovePermission", RemovePermission);
        Route(app, "POST", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy", "AddLayerVersionPermission", AddLayerVersionPermission);
        Route(app, "GET", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy", "GetLayerVersionPolicy", GetLayerVersionPolicy);
        Route(app, "DELETE", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy/{StatementId}", "RemoveLayerVersionPermission",
            RemoveLayerVersionPermission);

        app.MapMethods(CodeUrlSigner.PathPrefix + "{BlobId}", ["GET"], context => Run(context, DownloadCode))
            .WithMetadata(new ApiOperation("lambda", "GetCode") { Internal = true, Audit = Core.Audit.AuditCategory.None });
    }

    private static void Route(IEndpointRouteBuilder app, string method, string pattern, string operation, Func<ApiCall, Task<ApiResult>> handler,
        long maxBody = ApiOperation.DefaultMaxBody) =>
        Route(app, method, pattern, new ApiOperation("lambda", operation, maxBody), handler);

    private static void Route(IEndpointRouteBuilder app, string method, string pattern, ApiOperation operation, Func<ApiCall, Task<ApiResult>> handler) =>
        app.MapMethods(pattern, [method], context => Run(context, handler)).WithMetadata(operation);

    private static async Task Run(HttpContext context, Func<ApiCall, Task<ApiResult>> handler)
    {
        var call = context.Features.GetRequiredFeature<ApiCall>();
        var result = await handler(call);
        await result.WriteAsync(call);
    }
}
