using Lamina.Core.Errors;
using Lamina.Core.Storage;

namespace Lamina.Core.Iam;

/// <summary>A managed policy as GetPolicy/ListPolicies show it (customer managed or AWS managed).</summary>
internal sealed record PolicyView(ManagedPolicy Policy, int AttachmentCount, bool AwsManaged);

internal sealed partial class IamService
{
    /// <summary>
    /// AWS managed policies have no creation date of their own in Lamina; they show the day IAM managed
    /// policies launched (2015-02-06) so that clients parsing the date get a plausible value.
    /// </summary>
    private static readonly DateTimeOffset AwsManagedCreated = new(2015, 2, 6, 18, 39, 46, TimeSpan.Zero);

    // ---- inline policies ----

    public async Task<AwsError?> PutInlinePolicyAsync(string accountId, IamPrincipalType type, string principalName, string policyName, string document,
        CancellationToken cancellationToken)
    {
        if (await PrincipalMissingAsync(accountId, type, principalName, cancellationToken) is { } missing)
        {
            return missing;
        }

        if (CheckIdentityPolicy(document) is { } malformed)
        {
            return malformed;
        }

        // IAM counts the quota over all of a principal's inline policies; Lamina checks each document on its own.
        var (quota, limit) = type == IamPrincipalType.User
            ? ("UserPolicySize", IamConstraints.UserInlinePolicySize)
            : ("RolePolicySize", IamConstraints.RoleInlinePolicySize);
        if (IamConstraints.PolicySize(document) > limit)
        {
            return IamErrors.Quota(quota, limit);
        }

        await store.Iam.PutInlinePolicyAsync(new InlinePolicy(accountId, type, principalName, policyName, document), cancellationToken);
        authorizer.Invalidate();
        return null;
    }

    public async Task<Outcome<InlinePolicy>> GetInlinePolicyAsync(string accountId, IamPrincipalType type, string principalName, string policyName,
        CancellationToken cancellationToken)
    {
        if (await PrincipalMissingAsync(accountId, type, principalName, cancellationToken) is { } missing)
        {
            return missing;
        }

        return await store.Iam.GetInlinePolicyAsync(accountId, type, principalName, policyName, cancellationToken) is { } policy
            ? policy
            : InlineNotFound(type, policyName);
    }

    public async Task<Outcome<IReadOnlyList<string>>> ListInlinePolicyNamesAsync(string accountId, IamPrincipalType type, string principalName,
        CancellationToken cancellationToken)
    {
        if (await PrincipalMissingAsync(accountId, type, principalName, cancellationToken) is { } missing)
        {
            return missing;
        }

        return new Outcome<IReadOnlyList<string>>(await store.Iam.ListInlinePolicyNamesAsync(accountId, type, principalName, cancellationToken));
    }

    public async Task<AwsError?> DeleteInlinePolicyAsync(string accountId, IamPrincipalType type, string principalName, string policyName,
        CancellationToken cancellationToken)
    {
        if (await PrincipalMissingAsync(accountId, type, principalName, cancellationToken) is { } missing)
        {
            return missing;
        }

        var status = await store.Iam.DeleteInlinePolicyAsync(accountId, type, principalName, policyName, cancellationToken);
        authorizer.Invalidate();
        return status == WriteStatus.Ok ? null : InlineNotFound(type, policyName);
    }

    private static AwsError InlineNotFound(IamPrincipalType type, string policyName) =>
        IamErrors.NoSuchEntity($"The {(type == IamPrincipalType.User ? "user" : "role")} policy with name {policyName} cannot be found.");

    // ---- managed policies ----

    public async Task<Outcome<PolicyView>> CreatePolicyAsync(string accountId, string policyName, string path, string document, string? description,
        CancellationToken cancellationToken)
    {
        if (CheckIdentityPolicy(document) is { } malformed)
        {
            return malformed;
        }

        if (IamConstraints.PolicySize(document) > IamConstraints.ManagedPolicySize)
        {
            return IamErrors.Quota("PolicySize", IamConstraints.ManagedPolicySize);
        }

        var now = Now();
        var policy = new ManagedPolicy
        {
            AccountId = accountId,
            PolicyName = policyName,
            PolicyId = IamIds.New(IamIds.PolicyPrefix),
            Path = path,
            Description = description,
            Document = document,
            CreatedAt = now,
            UpdatedAt = now,
        };
        return await store.Iam.CreatePolicyAsync(policy, cancellationToken) switch
        {
            WriteStatus.Ok => new PolicyView(policy, 0, false),
            WriteStatus.AlreadyExists => IamErrors.EntityAlreadyExists($"A policy called {policyName} already exists. Duplicate names are not allowed."),
            var status => throw Unexpected(status),
        };
    }

    public async Task<Outcome<PolicyView>> GetPolicyAsync(string accountId, string policyArn, CancellationToken cancellationToken) =>
        await FindPolicyAsync(accountId, policyArn, cancellationToken) is { } policy
            ? new PolicyView(policy, await store.Iam.PolicyAttachmentCountAsync(accountId, policyArn, cancellationToken), AwsManagedPolicies.IsAwsManaged(policyArn))
            : IamErrors.PolicyNotFound(policyArn);

    /// <summary>Lamina keeps only a policy's default version: any other version id is not found.</summary>
    public async Task<Outcome<ManagedPolicy>> GetPolicyVersionAsync(string accountId, string policyArn, string versionId, CancellationToken cancellationToken)
    {
        if (await FindPolicyAsync(accountId, policyArn, cancellationToken) is not { } policy)
        {
            return IamErrors.PolicyNotFound(policyArn);
        }

        return policy.DefaultVersionId == versionId ? policy : IamErrors.PolicyVersionNotFound(policyArn, versionId);
    }

    public async Task<IReadOnlyList<PolicyView>> ListPoliciesAsync(string accountId, string scope, bool onlyAttached, string? pathPrefix,
        CancellationToken cancellationToken)
    {
        var candidates = new List<(ManagedPolicy Policy, bool Aws)>();
        if (scope is "All" or "AWS")
        {
            candidates.AddRange(AwsManagedPolicies.All.Select(e => (AwsManaged(e), true)));
        }

        if (scope is "All" or "Local")
        {
            candidates.AddRange((await store.Iam.ListPoliciesAsync(accountId, cancellationToken)).Select(p => (p, false)));
        }

        var views = new List<PolicyView>();
        foreach (var (policy, aws) in candidates)
        {
            if (pathPrefix is not null && !policy.Path.StartsWith(pathPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var count = await store.Iam.PolicyAttachmentCountAsync(accountId, policy.Arn, cancellationToken);
            if (!onlyAttached || count > 0)
            {
                views.Add(new PolicyView(policy, count, aws));
            }
        }

        return views.OrderBy(v => v.Policy.PolicyName, StringComparer.Ordinal).ThenBy(v => v.Policy.Arn, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Lamina keeps one version per policy: a new version replaces the default document and takes the
    /// next id (v2, v3, ...). A version that would not be the default cannot be kept, so it is refused.
    /// </summary>
    public async Task<Outcome<ManagedPolicy>> CreatePolicyVersionAsync(string accountId, string policyArn, string document, bool setAsDefault,
        CancellationToken cancellationToken)
    {
        if (await store.Iam.GetPolicyAsync(accountId, policyArn, cancellationToken) is not { } policy)
        {
            return IamErrors.PolicyNotFound(policyArn);
        }

        if (!setAsDefault)
        {
            return IamErrors.InvalidInput("Lamina keeps only the default version of a policy; create the version with SetAsDefault=true.");
        }

        if (CheckIdentityPolicy(document) is { } malformed)
        {
            return malformed;
        }

        if (IamConstraints.PolicySize(document) > IamConstraints.ManagedPolicySize)
        {
            return IamErrors.Quota("PolicySize", IamConstraints.ManagedPolicySize);
        }

        var next = int.TryParse(policy.DefaultVersionId.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture, out var n) ? n + 1 : 2;
        var updated = policy with { Document = document, DefaultVersionId = $"v{next}", UpdatedAt = Now() };
        if (await store.Iam.UpdatePolicyAsync(updated, cancellationToken) != WriteStatus.Ok)
        {
            return IamErrors.PolicyNotFound(policyArn);
        }

        authorizer.Invalidate();
        return updated;
    }

    /// <summary>The default version is the only one, and IAM never deletes a policy's default version.</summary>
    public async Task<AwsError?> DeletePolicyVersionAsync(string accountId, string policyArn, string versionId, CancellationToken cancellationToken)
    {
        if (await store.Iam.GetPolicyAsync(accountId, policyArn, cancellationToken) is not { } policy)
        {
            return IamErrors.PolicyNotFound(policyArn);
        }

        return policy.DefaultVersionId == versionId
            ? IamErrors.DeleteConflict("Cannot delete the default version of a policy.")
            : IamErrors.PolicyVersionNotFound(policyArn, versionId);
    }

    public async Task<AwsError?> DeletePolicyAsync(string accountId, string policyArn, CancellationToken cancellationToken) =>
        await store.Iam.DeletePolicyAsync(accountId, policyArn, cancellationToken) switch
        {
            WriteStatus.Ok => null,
            WriteStatus.NotFound => IamErrors.PolicyNotFound(policyArn),
            WriteStatus.Refused => IamErrors.DeleteConflict("Cannot delete a policy attached to entities."),
            var status => throw Unexpected(status),
        };

    // ---- attachments ----

    public async Task<AwsError?> AttachPolicyAsync(string accountId, IamPrincipalType type, string principalName, string policyArn,
        CancellationToken cancellationToken)
    {
        if (await PrincipalMissingAsync(accountId, type, principalName, cancellationToken) is { } missing)
        {
            return missing;
        }

        if (await FindPolicyAsync(accountId, policyArn, cancellationToken) is null)
        {
            return IamErrors.PolicyNotAttachable(policyArn);
        }

        var attached = await store.Iam.ListAttachedPolicyArnsAsync(accountId, type, principalName, cancellationToken);
        if (!attached.Contains(policyArn, StringComparer.Ordinal) && attached.Count >= IamConstraints.ManagedPoliciesPerPrincipal)
        {
            return IamErrors.Quota(type == IamPrincipalType.User ? "PoliciesPerUser" : "PoliciesPerRole", IamConstraints.ManagedPoliciesPerPrincipal);
        }

        await store.Iam.AttachPolicyAsync(accountId, type, principalName, policyArn, cancellationToken);
        authorizer.Invalidate();
        return null;
    }

    public async Task<AwsError?> DetachPolicyAsync(string accountId, IamPrincipalType type, string principalName, string policyArn,
        CancellationToken cancellationToken)
    {
        if (await PrincipalMissingAsync(accountId, type, principalName, cancellationToken) is { } missing)
        {
            return missing;
        }

        var status = await store.Iam.DetachPolicyAsync(accountId, type, principalName, policyArn, cancellationToken);
        authorizer.Invalidate();
        return status == WriteStatus.Ok ? null : IamErrors.PolicyNotFound(policyArn);
    }

    /// <summary>Attached policies as (name, ARN), filtered by the policy path prefix.</summary>
    public async Task<Outcome<IReadOnlyList<(string Name, string Arn)>>> ListAttachedPoliciesAsync(string accountId, IamPrincipalType type,
        string principalName, string? pathPrefix, CancellationToken cancellationToken)
    {
        if (await PrincipalMissingAsync(accountId, type, principalName, cancellationToken) is { } missing)
        {
            return missing;
        }

        var result = new List<(string Name, string Arn)>();
        foreach (var arn in await store.Iam.ListAttachedPolicyArnsAsync(accountId, type, principalName, cancellationToken))
        {
            var resource = arn[(arn.IndexOf(":policy/", StringComparison.Ordinal) + ":policy".Length)..];
            var slash = resource.LastIndexOf('/');
            if (pathPrefix is null || resource[..(slash + 1)].StartsWith(pathPrefix, StringComparison.Ordinal))
            {
                result.Add((resource[(slash + 1)..], arn));
            }
        }

        return new Outcome<IReadOnlyList<(string Name, string Arn)>>(result);
    }

    /// <summary>A customer managed policy of the account or a built-in AWS managed one.</summary>
    private async Task<ManagedPolicy?> FindPolicyAsync(string accountId, string policyArn, CancellationToken cancellationToken) =>
        AwsManagedPolicies.TryGet(policyArn, out var entry, out _)
            ? AwsManaged(entry)
            : await store.Iam.GetPolicyAsync(accountId, policyArn, cancellationToken);

    /// <summary>The policy document a session policy ARN names, in the role's account (STS PolicyArns).</summary>
    public async Task<string?> PolicyDocumentAsync(string accountId, string policyArn, CancellationToken cancellationToken) =>
        (await FindPolicyAsync(accountId, policyArn, cancellationToken))?.Document;

    private static ManagedPolicy AwsManaged(AwsManagedPolicies.Entry entry) => new()
    {
        AccountId = "aws",
        PolicyName = entry.Name,
        PolicyId = IamIds.Derived(IamIds.PolicyPrefix, entry.Arn),
        Path = entry.Path,
        Description = entry.Description,
        Document = entry.Document,
        CreatedAt = AwsManagedCreated,
        UpdatedAt = AwsManagedCreated,
    };

    private async Task<AwsError?> PrincipalMissingAsync(string accountId, IamPrincipalType type, string name, CancellationToken cancellationToken) =>
        type == IamPrincipalType.User
            ? await store.Iam.GetUserAsync(accountId, name, cancellationToken) is null ? IamErrors.UserNotFound(name) : null
            : await store.Iam.GetRoleAsync(accountId, name, cancellationToken) is null ? IamErrors.RoleNotFound(name) : null;

    /// <summary>An identity policy parses, names no principal (the identity is the principal) and names resources.</summary>
    public static AwsError? CheckIdentityPolicy(string document)
    {
        if (!PolicyDocument.TryParse(document, out var parsed, out var error))
        {
            return IamErrors.MalformedPolicyDocument(error ?? "Syntax errors in policy.");
        }

        foreach (var statement in parsed.Statements)
        {
            if (statement.Principal is not null || statement.NotPrincipal is not null)
            {
                return IamErrors.MalformedPolicyDocument("Policy document should not specify a principal.");
            }

            if (statement.Resource is null && statement.NotResource is null)
            {
                return IamErrors.MalformedPolicyDocument("Policy statement must contain resources.");
            }
        }

        return null;
    }
}
