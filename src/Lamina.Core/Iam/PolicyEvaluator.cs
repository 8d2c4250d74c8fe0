using Lamina.Core.Accounts;

namespace Lamina.Core.Iam;

/// <summary>Who is asking, as policy evaluation sees it.</summary>
/// <param name="RoleArn">For role sessions, the role (principal elements naming a role match its sessions).</param>
/// <param name="Service">For AWS service principals (e.g. <c>lambda.amazonaws.com</c> assuming an execution role).</param>
internal sealed record PrincipalInfo(string AccountId, string Arn, PrincipalKind Kind, string? RoleArn = null, string? Service = null);

/// <summary>Everything evaluation needs for one request.</summary>
internal sealed record EvaluationRequest
{
    public required PrincipalInfo Principal { get; init; }
    public required string Action { get; init; }
    public required string Resource { get; init; }
    public required string ResourceAccount { get; init; }
    public required RequestContext Context { get; init; }

    /// <summary>The caller's identity-based policies (user or role: inline and attached).</summary>
    public IReadOnlyList<PolicyDocument> IdentityPolicies { get; init; } = [];

    /// <summary>Policies passed when the session was created; they only narrow.</summary>
    public IReadOnlyList<PolicyDocument>? SessionPolicies { get; init; }

    /// <summary>The resource's own policy (function policy, trust policy, key policy), if any.</summary>
    public PolicyDocument? ResourcePolicy { get; init; }

    /// <summary>Trust policies and KMS key policies must allow the caller; an identity allow alone is not enough.</summary>
    public bool ResourcePolicyMustAllow { get; init; }
}

internal enum DecisionKind
{
    Allow,
    ImplicitDeny,
    ExplicitDenyIdentity,
    ExplicitDenyResource,
}

internal sealed record Decision(DecisionKind Kind, string Reason)
{
    public bool Allowed => Kind == DecisionKind.Allow;
}

/// <summary>
/// IAM policy evaluation for identity- and resource-based policies together.
/// </summary>
/// <remarks>
/// (1) An explicit Deny in any applicable policy (identity, session, resource) wins.
/// (2) An account's root user may do anything to its own account's resources.
/// (3) Identity allow: some identity policy allows, and, for a session with session policies, one of those too.
/// (4) Resource allow: the resource policy allows a principal element naming the caller (or "*"); a
///     statement naming the caller's account grants only through that account's identity policies.
/// (5) Same account: identity allow or direct resource allow suffices. Cross-account: both are needed.
///     A resource policy that must allow (a role's trust policy: "role trust policies ... must explicitly
///     allow access for principals", IAM policy evaluation logic) grants the same account's callers only
///     when it names them directly, or names their account and their identity policy allows too; the
///     root user gets no automatic allow from (2) there.
/// (6) Otherwise the implicit deny stands.
/// </remarks>
internal static class PolicyEvaluator
{
    private enum PrincipalMatch
    {
        None,
        Account,
        Direct,
    }

    public static Decision Decide(EvaluationRequest request)
    {
        var principal = request.Principal;

        // (1)
        foreach (var policy in request.IdentityPolicies.Concat(request.SessionPolicies ?? []))
        {
            if (Evaluate(policy, request, resourcePolicy: false).Deny)
            {
                return new Decision(DecisionKind.ExplicitDenyIdentity, "with an explicit deny in an identity-based policy");
            }
        }

        var resource = request.ResourcePolicy is null ? default : Evaluate(request.ResourcePolicy, request, resourcePolicy: true);
        if (resource.Deny)
        {
            return new Decision(DecisionKind.ExplicitDenyResource, "with an explicit deny in a resource-based policy");
        }

        var sameAccount = principal.AccountId == request.ResourceAccount;

        // (2)
        if (principal.Kind == PrincipalKind.Root && sameAccount && !request.ResourcePolicyMustAllow)
        {
            return new Decision(DecisionKind.Allow, "");
        }

        // (3)
        // Roots hold every permission of their own account; a service principal acts only through resource policies.
        var identityAllow = principal.Kind is PrincipalKind.Root or PrincipalKind.Service ||
                            request.IdentityPolicies.Any(p => Evaluate(p, request, resourcePolicy: false).Allow);
        if (identityAllow && request.SessionPolicies is { Count: > 0 } sessions)
        {
            identityAllow = sessions.Any(p => Evaluate(p, request, resourcePolicy: false).Allow);
        }

        // (4)
        var resourceDirect = resource.Allow && resource.Match == PrincipalMatch.Direct;
        var resourceViaAccount = resource.Allow && resource.Match == PrincipalMatch.Account;

        // (5)
        var allowed = !sameAccount ? identityAllow && (resourceDirect || resourceViaAccount)
            : request.ResourcePolicyMustAllow ? resourceDirect || (resourceViaAccount && identityAllow)
            : identityAllow || resourceDirect;
        if (allowed)
        {
            return new Decision(DecisionKind.Allow, "");
        }

        // (6)
        var reason = (!sameAccount || request.ResourcePolicyMustAllow) && identityAllow
            ? $"because no resource-based policy allows the {request.Action} action"
            : $"because no identity-based policy allows the {request.Action} action";
        return new Decision(DecisionKind.ImplicitDeny, reason);
    }

    private readonly record struct Outcome(bool Allow, bool Deny, PrincipalMatch Match);

    private static Outcome Evaluate(PolicyDocument policy, EvaluationRequest request, bool resourcePolicy)
    {
        var allow = false;
        var best = PrincipalMatch.None;
        foreach (var statement in policy.Statements)
        {
            var match = PrincipalMatch.Direct;
            if (resourcePolicy)
            {
                match = MatchPrincipal(statement, request.Principal);
                if (match == PrincipalMatch.None)
                {
                    continue;
                }
            }

            if (!ActionMatches(statement, request.Action) || !ResourceMatches(statement, request) || !ConditionsHold(statement, request.Context))
            {
                continue;
            }

            if (statement.Effect == Effect.Deny)
            {
                return new Outcome(false, true, match);
            }

            allow = true;
            if (match > best)
            {
                best = match;
            }
        }

        return new Outcome(allow, false, best);
    }

    private static bool ActionMatches(PolicyStatement statement, string action)
    {
        if (statement.Action is { } actions)
        {
            return actions.Any(a => a == "*" || Wildcard.Action(a, action));
        }

        return statement.NotAction is { } notActions && !notActions.Any(a => a == "*" || Wildcard.Action(a, action));
    }

    private static bool ResourceMatches(PolicyStatement statement, EvaluationRequest request)
    {
        if (statement.Resource is { } resources)
        {
            return resources.Any(r => Wildcard.Resource(request.Context.Substitute(r), request.Resource));
        }

        if (statement.NotResource is { } notResources)
        {
            return !notResources.Any(r => Wildcard.Resource(request.Context.Substitute(r), request.Resource));
        }

        // Trust and resource policies may omit Resource: they apply to the resource they are attached to.
        return true;
    }

    private static bool ConditionsHold(PolicyStatement statement, RequestContext context) => statement.Conditions.All(c => c.Evaluate(context));

    private static PrincipalMatch MatchPrincipal(PolicyStatement statement, PrincipalInfo principal)
    {
        if (statement.Principal is { } principals)
        {
            return Match(principals, principal);
        }

        if (statement.NotPrincipal is { } notPrincipals)
        {
            return Match(notPrincipals, principal) == PrincipalMatch.None ? PrincipalMatch.Direct : PrincipalMatch.None;
        }

        return PrincipalMatch.None;
    }

    private static PrincipalMatch Match(PrincipalSet set, PrincipalInfo principal)
    {
        if (set.Anyone)
        {
            return PrincipalMatch.Direct;
        }

        if (principal.Service is { } service)
        {
            return set.Service.Any(s => string.Equals(s, service, StringComparison.Ordinal)) ? PrincipalMatch.Direct : PrincipalMatch.None;
        }

        var result = PrincipalMatch.None;
        foreach (var entry in set.Aws)
        {
            if (entry == principal.Arn || (principal.RoleArn is not null && entry == principal.RoleArn))
            {
                return PrincipalMatch.Direct;
            }

            var account = entry.Length == 12 && entry.All(char.IsAsciiDigit) ? entry
                : entry.StartsWith("arn:aws:iam::", StringComparison.Ordinal) && entry.EndsWith(":root", StringComparison.Ordinal) ? entry[13..^5]
                : null;
            if (account == principal.AccountId)
            {
                if (principal.Kind == PrincipalKind.Root)
                {
                    return PrincipalMatch.Direct;
                }

                result = PrincipalMatch.Account;
            }
        }

        return result;
    }
}
