using Lamina.Core.Auth;
using Lamina.Core.Errors;
using Lamina.Core.Functions;
using Lamina.Core.Iam;
using Lamina.Core.Storage;

namespace Lamina.Http;

internal static class ApiCallExtensions
{
    /// <summary>
    /// Asks the authorizer; every handler calls this before it reads or changes state. An allowed use of another
    /// account's resource makes that account a recipient of the call's audit record, as CloudTrail does.
    /// </summary>
    public static async ValueTask<AwsError?> AuthorizeAsync(this ApiCall call, string action, string resource, string resourceAccount,
        PolicyDocument? resourcePolicy = null, IReadOnlyDictionary<string, string>? context = null) =>
        Audited(call, resourceAccount, await call.Service<IAuthorizer>().AuthorizeAsync(call.Caller,
            new AuthorizationRequest(action, resource, resourceAccount) { ResourcePolicy = resourcePolicy, Context = ContextKeys(call, context) },
            call.Http.RequestAborted));

    /// <summary><c>sts:AssumeRole</c> on a role: its trust policy must allow the caller (see <see cref="PolicyEvaluator"/> step 5).</summary>
    public static async ValueTask<AwsError?> AuthorizeAssumeRoleAsync(this ApiCall call, string roleArn, string roleAccount, PolicyDocument trustPolicy,
        IReadOnlyDictionary<string, string> context) =>
        Audited(call, roleAccount, await call.Service<IAuthorizer>().AuthorizeAsync(call.Caller,
            new AuthorizationRequest("sts:AssumeRole", roleArn, roleAccount)
            {
                ResourcePolicy = trustPolicy,
                ResourcePolicyMustAllow = true,
                Context = ContextKeys(call, context),
            },
            call.Http.RequestAborted));

    private static AwsError? Audited(ApiCall call, string resourceAccount, AwsError? decision)
    {
        if (decision is null && resourceAccount != call.Caller.AccountId && resourceAccount.Length == 12 && resourceAccount.All(char.IsAsciiDigit))
        {
            call.Audit.Recipient(resourceAccount);
        }

        return decision;
    }

    /// <summary>The global condition keys of the request (<c>aws:SourceIp</c>, <c>aws:SecureTransport</c>, ...).</summary>
    public static Dictionary<string, string> ConditionKeys(this ApiCall call) => ContextKeys(call, null);

    /// <summary>The global condition keys of the request, plus the action's own.</summary>
    private static Dictionary<string, string> ContextKeys(ApiCall call, IReadOnlyDictionary<string, string>? context)
    {
        var keys = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["aws:SourceIp"] = call.Http.Connection.RemoteIpAddress?.ToString() ?? "",
            ["aws:SecureTransport"] = call.Http.Request.IsHttps ? "true" : "false",
            ["aws:RequestedRegion"] = call.Service<ControlPlaneOptions>().Region,
        };
        if (call.Header("user-agent") is { } agent)
        {
            keys["aws:UserAgent"] = agent;
        }

        if (context is not null)
        {
            foreach (var (k, v) in context)
            {
                keys[k] = v;
            }
        }

        return keys;
    }

    /// <summary>
    /// Authorizes an action on a function (qualified if the target is), with the function's resource
    /// policy for that qualifier: same-account grants and cross-account access both come from it.
    /// </summary>
    public static async ValueTask<AwsError?> AuthorizeFunctionAsync(this ApiCall call, string action, FunctionTarget target)
    {
        var region = call.Service<ControlPlaneOptions>().Region;
        var arn = target.Arn(region);
        var policy = await call.Service<IStore>().Iam.GetFunctionPolicyAsync(target.AccountId, target.Name, target.Qualifier ?? "", call.Aborted());
        PolicyDocument? document = null;
        if (policy is not null && PolicyDocument.TryParse(policy.Document, out var parsed, out _))
        {
            document = parsed;
        }

        return await call.AuthorizeAsync(action, arn, target.AccountId, document,
            new Dictionary<string, string> { ["lambda:FunctionArn"] = arn });
    }

    /// <summary>The function named by the <c>FunctionName</c> route value and the optional <c>Qualifier</c> query parameter.</summary>
    public static Outcome<FunctionTarget> Target(this ApiCall call, bool allowQualifierParameter = true) =>
        FunctionTarget.Parse(call.Route("FunctionName"), allowQualifierParameter ? call.Query("Qualifier") : null, call.Caller.AccountId,
            call.Service<ControlPlaneOptions>().Region);

    public static CancellationToken Aborted(this ApiCall call) => call.Http.RequestAborted;
}
