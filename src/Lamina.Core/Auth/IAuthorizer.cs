using Lamina.Core.Errors;

namespace Lamina.Core.Auth;

/// <summary>One authorization question: may this caller perform this action on this resource?</summary>
/// <param name="Action">IAM action, e.g. <c>lambda:GetFunction</c>.</param>
/// <param name="Resource">The resource ARN as AWS documents it for the action, or <c>*</c>.</param>
/// <param name="ResourceAccount">Account that owns the resource (decides same- vs cross-account rules).</param>
internal sealed record AuthorizationRequest(string Action, string Resource, string ResourceAccount);

/// <summary>Decides every API request (ARCHITECTURE.md invariant 1); a refusal is an AWS error value.</summary>
internal interface IAuthorizer
{
    ValueTask<AwsError?> AuthorizeAsync(CallerIdentity caller, AuthorizationRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// The account boundary: a principal may act on its own account's resources and on nothing else.
/// Policy evaluation (identity and resource policies, cross-account grants) replaces it with the IAM engine.
/// </summary>
internal sealed class AccountBoundaryAuthorizer : IAuthorizer
{
    public ValueTask<AwsError?> AuthorizeAsync(CallerIdentity caller, AuthorizationRequest request, CancellationToken cancellationToken)
    {
        if (caller.Kind == Accounts.PrincipalKind.Service)
        {
            return ValueTask.FromResult<AwsError?>(Denied(caller, request));
        }

        return ValueTask.FromResult(caller.AccountId == request.ResourceAccount ? null : Denied(caller, request));
    }

    public static AwsError Denied(CallerIdentity caller, AuthorizationRequest request) =>
        new(403, "AccessDeniedException",
            $"User: {caller.Arn} is not authorized to perform: {request.Action} on resource: {request.Resource} because no resource-based policy allows the {request.Action} action");
}
