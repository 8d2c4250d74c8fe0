using Lamina.Core.Errors;
using Lamina.Core.Iam;

namespace Lamina.Core.Auth;

/// <summary>One authorization question: may this caller perform this action on this resource?</summary>
/// <param name="Action">IAM action, e.g. <c>lambda:GetFunction</c>.</param>
/// <param name="Resource">The resource ARN as AWS documents it for the action, or <c>*</c>.</param>
/// <param name="ResourceAccount">Account that owns the resource (decides same- vs cross-account rules).</param>
internal sealed record AuthorizationRequest(string Action, string Resource, string ResourceAccount)
{
    /// <summary>The resource's own policy (function policy, trust policy, key policy), when it has one.</summary>
    public PolicyDocument? ResourcePolicy { get; init; }

    /// <summary>
    /// The resource policy must allow the caller itself (a role's trust policy): an identity-policy allow
    /// counts only when the resource policy names the caller's account. See <see cref="PolicyEvaluator"/>.
    /// </summary>
    public bool ResourcePolicyMustAllow { get; init; }

    /// <summary>Condition keys of the request (<c>aws:SourceIp</c>, <c>lambda:FunctionArn</c>, ...).</summary>
    public IReadOnlyDictionary<string, string> Context { get; init; } = new Dictionary<string, string>();
}

/// <summary>Decides every API request (ARCHITECTURE.md invariant 1); a refusal is an AWS error value.</summary>
internal interface IAuthorizer
{
    ValueTask<AwsError?> AuthorizeAsync(CallerIdentity caller, AuthorizationRequest request, CancellationToken cancellationToken);
}
