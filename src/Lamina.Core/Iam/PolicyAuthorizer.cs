using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Lamina.Core.Accounts;
using Lamina.Core.Auth;
using Lamina.Core.Errors;
using Lamina.Core.Storage;

namespace Lamina.Core.Iam;

/// <summary>
/// The IAM engine behind every API request: loads the caller's identity policies (user, role, session
/// policies), takes the resource policy the handler supplies, fills the global condition keys, and asks
/// <see cref="PolicyEvaluator"/>. A refusal is AWS's AccessDeniedException with its reason.
/// </summary>
internal sealed class PolicyAuthorizer(IStore store, TimeProvider time) : IAuthorizer
{
    /// <summary>Identity policies are re-read after this: IAM changes reach every check within it (AWS: seconds).</summary>
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, (DateTimeOffset LoadedAt, PrincipalData Data)> _cache = new(StringComparer.Ordinal);

    /// <summary>What evaluation needs of the calling user or role: its policies and its tags (<c>aws:PrincipalTag/KEY</c>).</summary>
    private sealed record PrincipalData(IReadOnlyList<PolicyDocument> Policies, IReadOnlyDictionary<string, string> Tags);

    private static readonly PrincipalData NoPrincipalData = new([], new Dictionary<string, string>());

    public async ValueTask<AwsError?> AuthorizeAsync(CallerIdentity caller, AuthorizationRequest request, CancellationToken cancellationToken)
    {
        if (caller.Kind == PrincipalKind.Service)
        {
            return Denied(caller, request, "because Lamina's service key may only read presigned code");
        }

        var decision = await DecideAsync(caller, request, cancellationToken);
        return decision.Allowed ? null : Denied(caller, request, decision.Reason);
    }

    /// <summary>
    /// The evaluation itself, for callers that weigh its kind: Lambda's implicit grant on a function's key
    /// yields only to an explicit deny (see <see cref="Kms.KeyService"/>).
    /// </summary>
    public async ValueTask<Decision> DecideAsync(CallerIdentity caller, AuthorizationRequest request, CancellationToken cancellationToken)
    {
        var session = caller.SessionData is null ? null : JsonSerializer.Deserialize(caller.SessionData, SessionJson.Default.SessionInfo);
        var principal = new PrincipalInfo(caller.AccountId, caller.Arn, caller.Kind, session?.RoleArn);

        // Fast path: an account's root user acting on its own account is allowed unless a resource policy denies it.
        if (caller.Kind == PrincipalKind.Root && caller.AccountId == request.ResourceAccount && request.ResourcePolicy is null)
        {
            return new Decision(DecisionKind.Allow, "");
        }

        var identity = await PrincipalDataAsync(caller, session, cancellationToken);
        IReadOnlyList<PolicyDocument>? sessionPolicies = session?.SessionPolicies is { Count: > 0 } docs
            ? docs.Select(PolicyDocument.Parse).ToList()
            : null;
        return PolicyEvaluator.Decide(new EvaluationRequest
        {
            Principal = principal,
            Action = request.Action,
            Resource = request.Resource,
            ResourceAccount = request.ResourceAccount,
            Context = BuildContext(caller, session, request, identity.Tags),
            IdentityPolicies = identity.Policies,
            SessionPolicies = sessionPolicies,
            ResourcePolicy = request.ResourcePolicy,
            ResourcePolicyMustAllow = request.ResourcePolicyMustAllow,
        });
    }

    public static AwsError Denied(CallerIdentity caller, AuthorizationRequest request, string reason) =>
        new(403, "AccessDeniedException", $"User: {caller.Arn} is not authorized to perform: {request.Action} on resource: {request.Resource} {reason}".TrimEnd());

    private RequestContext BuildContext(CallerIdentity caller, SessionInfo? session, AuthorizationRequest request,
        IReadOnlyDictionary<string, string> principalTags)
    {
        var now = time.GetUtcNow();
        var context = new RequestContext()
            .Set("aws:CurrentTime", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))
            .Set("aws:EpochTime", now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture))
            .Set("aws:PrincipalArn", session?.RoleArn ?? caller.Arn)
            .Set("aws:PrincipalAccount", caller.AccountId)
            .Set("aws:PrincipalType", caller.Kind switch
            {
                PrincipalKind.Root => "Account",
                PrincipalKind.User => "User",
                _ => "AssumedRole",
            })
            .Set("aws:userid", caller.PrincipalId)
            .Set("aws:MultiFactorAuthPresent", "false");
        if (caller.Kind == PrincipalKind.User)
        {
            context.Set("aws:username", caller.Arn[(caller.Arn.LastIndexOf('/') + 1)..]);
        }

        // The user's tags, or for a role session the role's (Lamina has no session tags).
        foreach (var (key, value) in principalTags)
        {
            context.Set("aws:PrincipalTag/" + key, value);
        }

        foreach (var (key, value) in request.Context)
        {
            context.Set(key, value);
        }

        return context;
    }

    private async Task<PrincipalData> PrincipalDataAsync(CallerIdentity caller, SessionInfo? session, CancellationToken cancellationToken)
    {
        (IamPrincipalType Type, string Name)? owner = caller.Kind switch
        {
            PrincipalKind.User => (IamPrincipalType.User, NameOf(caller.Arn)),
            PrincipalKind.AssumedRole when session?.RoleArn is { } role => (IamPrincipalType.Role, NameOf(role)),
            PrincipalKind.AssumedRole when session?.SourceArn is { } source && source.Contains(":user/", StringComparison.Ordinal) =>
                (IamPrincipalType.User, NameOf(source)),
            _ => null,
        };
        if (owner is null)
        {
            return NoPrincipalData;
        }

        var key = $"{caller.AccountId}/{owner.Value.Type}/{owner.Value.Name}";
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && now - cached.LoadedAt < CacheLifetime)
        {
            return cached.Data;
        }

        var loaded = await store.Iam.GetPrincipalPoliciesAsync(caller.AccountId, owner.Value.Type, owner.Value.Name, cancellationToken);
        var documents = new List<PolicyDocument>();
        foreach (var inline in loaded.InlineDocuments)
        {
            if (PolicyDocument.TryParse(inline, out var doc, out _))
            {
                documents.Add(doc);
            }
        }

        foreach (var arn in loaded.AttachedArns)
        {
            if (AwsManagedPolicies.TryGet(arn, out _, out var managed))
            {
                documents.Add(managed);
            }
            else if (await store.Iam.GetPolicyAsync(caller.AccountId, arn, cancellationToken) is { } policy &&
                     PolicyDocument.TryParse(policy.Document, out var doc, out _))
            {
                documents.Add(doc);
            }
        }

        var tags = owner.Value.Type == IamPrincipalType.User
            ? (await store.Iam.GetUserAsync(caller.AccountId, owner.Value.Name, cancellationToken))?.Tags
            : (await store.Iam.GetRoleAsync(caller.AccountId, owner.Value.Name, cancellationToken))?.Tags;
        var data = new PrincipalData(documents, tags ?? new Dictionary<string, string>());
        _cache[key] = (now, data);
        return data;
    }

    /// <summary>Drops cached policies at once (after an IAM change in this process).</summary>
    public void Invalidate() => _cache.Clear();

    /// <summary>The last path segment of a user or role ARN (its name; paths are not part of the name).</summary>
    private static string NameOf(string arn) => arn[(arn.LastIndexOf('/') + 1)..];
}
