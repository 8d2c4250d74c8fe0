using Lamina.Core.Errors;
using Lamina.Core.Storage;

namespace Lamina.Core.Iam;

internal sealed partial class IamService
{
    /// <summary>What CreateRole takes once its members are valid.</summary>
    internal sealed record NewRole(string RoleName, string Path, string AssumeRolePolicyDocument, string? Description, int MaxSessionDuration,
        IReadOnlyDictionary<string, string> Tags);

    public async Task<Outcome<IamRole>> CreateRoleAsync(string accountId, NewRole request, CancellationToken cancellationToken)
    {
        if (CheckTrustPolicy(request.AssumeRolePolicyDocument) is { } malformed)
        {
            return malformed;
        }

        var role = new IamRole
        {
            AccountId = accountId,
            RoleName = request.RoleName,
            RoleId = IamIds.New(IamIds.RolePrefix),
            Path = request.Path,
            AssumeRolePolicyDocument = request.AssumeRolePolicyDocument,
            Description = request.Description,
            MaxSessionDuration = request.MaxSessionDuration,
            CreatedAt = Now(),
            Tags = request.Tags,
        };
        return await store.Iam.CreateRoleAsync(role, cancellationToken) switch
        {
            WriteStatus.Ok => role,
            WriteStatus.AlreadyExists => IamErrors.EntityAlreadyExists($"Role with name {request.RoleName} already exists."),
            var status => throw Unexpected(status),
        };
    }

    public async Task<Outcome<IamRole>> GetRoleAsync(string accountId, string roleName, CancellationToken cancellationToken) =>
        await store.Iam.GetRoleAsync(accountId, roleName, cancellationToken) is { } role ? role : IamErrors.RoleNotFound(roleName);

    public Task<IReadOnlyList<IamRole>> ListRolesAsync(string accountId, string? pathPrefix, CancellationToken cancellationToken) =>
        store.Iam.ListRolesAsync(accountId, pathPrefix, cancellationToken);

    /// <summary>The ARN a role action is authorized on: with the role's path when it exists, else under "/".</summary>
    public async Task<string> RoleArnAsync(string accountId, string roleName, CancellationToken cancellationToken) =>
        (await store.Iam.GetRoleAsync(accountId, roleName, cancellationToken))?.Arn ?? $"arn:aws:iam::{accountId}:role/{roleName}";

    /// <summary>UpdateRole: null members stay as they are.</summary>
    public Task<AwsError?> UpdateRoleAsync(string accountId, string roleName, string? description, int? maxSessionDuration,
        CancellationToken cancellationToken) =>
        ChangeRoleAsync(accountId, roleName, role => role with
        {
            Description = description ?? role.Description,
            MaxSessionDuration = maxSessionDuration ?? role.MaxSessionDuration,
        }, cancellationToken);

    public async Task<AwsError?> UpdateAssumeRolePolicyAsync(string accountId, string roleName, string document, CancellationToken cancellationToken) =>
        CheckTrustPolicy(document) ?? await ChangeRoleAsync(accountId, roleName, role => role with { AssumeRolePolicyDocument = document }, cancellationToken);

    public async Task<AwsError?> TagRoleAsync(string accountId, string roleName, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
    {
        AwsError? quota = null;
        var error = await ChangeRoleAsync(accountId, roleName, role =>
        {
            if (!TryMergeTags(role.Tags, tags, [], out var merged))
            {
                quota = IamErrors.Quota("TagsPerRole", IamConstraints.TagsPerEntity);
                return null;
            }

            return role with { Tags = merged };
        }, cancellationToken);
        return quota ?? error;
    }

    public Task<AwsError?> UntagRoleAsync(string accountId, string roleName, IReadOnlyList<string> keys, CancellationToken cancellationToken) =>
        ChangeRoleAsync(accountId, roleName, role =>
        {
            TryMergeTags(role.Tags, new Dictionary<string, string>(), keys, out var merged);
            return role with { Tags = merged };
        }, cancellationToken);

    public async Task<AwsError?> DeleteRoleAsync(string accountId, string roleName, CancellationToken cancellationToken)
    {
        if (await store.Iam.GetRoleAsync(accountId, roleName, cancellationToken) is null)
        {
            return IamErrors.RoleNotFound(roleName);
        }

        if ((await store.Iam.ListInlinePolicyNamesAsync(accountId, IamPrincipalType.Role, roleName, cancellationToken)).Count > 0)
        {
            return IamErrors.DeleteConflict("Cannot delete entity, must delete policies first.");
        }

        if ((await store.Iam.ListAttachedPolicyArnsAsync(accountId, IamPrincipalType.Role, roleName, cancellationToken)).Count > 0)
        {
            return IamErrors.DeleteConflict("Cannot delete entity, must detach all policies first.");
        }

        return await store.Iam.DeleteRoleAsync(accountId, roleName, cancellationToken) switch
        {
            WriteStatus.Ok => null,
            WriteStatus.NotFound => IamErrors.RoleNotFound(roleName),
            WriteStatus.Refused => IamErrors.DeleteConflict("Cannot delete entity, must delete policies first."),
            var status => throw Unexpected(status),
        };
    }

    /// <summary>Read-modify-write of one role; <paramref name="change"/> returns null to abandon the write.</summary>
    private async Task<AwsError?> ChangeRoleAsync(string accountId, string roleName, Func<IamRole, IamRole?> change, CancellationToken cancellationToken)
    {
        if (await store.Iam.GetRoleAsync(accountId, roleName, cancellationToken) is not { } role)
        {
            return IamErrors.RoleNotFound(roleName);
        }

        if (change(role) is not { } changed)
        {
            return null;
        }

        return await store.Iam.UpdateRoleAsync(changed, cancellationToken) == WriteStatus.Ok ? null : IamErrors.RoleNotFound(roleName);
    }

    /// <summary>
    /// A trust policy parses, names a principal in every statement, names no resource (the role is the
    /// resource), grants only STS actions, and fits the 2,048-character ACLSizePerRole quota.
    /// </summary>
    public static AwsError? CheckTrustPolicy(string document)
    {
        if (!PolicyDocument.TryParse(document, out var parsed, out var error))
        {
            return IamErrors.MalformedPolicyDocument(error ?? "Syntax errors in policy.");
        }

        foreach (var statement in parsed.Statements)
        {
            if (statement.Resource is not null || statement.NotResource is not null)
            {
                return IamErrors.MalformedPolicyDocument("Has prohibited field Resource");
            }

            if (statement.Principal is null && statement.NotPrincipal is null)
            {
                return IamErrors.MalformedPolicyDocument("Missing required field Principal");
            }

            if ((statement.Action ?? statement.NotAction ?? []).Any(a => !a.StartsWith("sts:", StringComparison.OrdinalIgnoreCase)))
            {
                return IamErrors.MalformedPolicyDocument("AssumeRole policy may only specify STS AssumeRole actions.");
            }
        }

        return IamConstraints.PolicySize(document) > IamConstraints.TrustPolicySize
            ? IamErrors.Quota("ACLSizePerRole", IamConstraints.TrustPolicySize)
            : null;
    }
}
