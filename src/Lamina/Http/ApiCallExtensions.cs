using Lamina.Core.Auth;
using Lamina.Core.Errors;
using Lamina.Core.Functions;

namespace Lamina.Http;

internal static class ApiCallExtensions
{
    /// <summary>Asks the authorizer; every handler calls this before it reads or changes state.</summary>
    public static ValueTask<AwsError?> AuthorizeAsync(this ApiCall call, string action, string resource, string resourceAccount) =>
        call.Service<IAuthorizer>().AuthorizeAsync(call.Caller, new AuthorizationRequest(action, resource, resourceAccount), call.Http.RequestAborted);

    /// <summary>The function named by the <c>FunctionName</c> route value and the optional <c>Qualifier</c> query parameter.</summary>
    public static Outcome<FunctionTarget> Target(this ApiCall call, bool allowQualifierParameter = true) =>
        FunctionTarget.Parse(call.Route("FunctionName"), allowQualifierParameter ? call.Query("Qualifier") : null, call.Caller.AccountId,
            call.Service<ControlPlaneOptions>().Region);

    public static CancellationToken Aborted(this ApiCall call) => call.Http.RequestAborted;
}
