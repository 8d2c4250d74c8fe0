using Lamina.Core.Storage;

namespace Lamina.Core.Iam;

/// <summary>
/// IAM state of every account: users, roles, managed and inline policies, attachments, and the
/// resource-based policies of Lambda functions and layer versions. Deletes follow IAM's conflict rules
/// (a user with keys or policies, a role or policy still attached, cannot be deleted).
/// </summary>
internal interface IIamStore
{
    Task<WriteStatus> CreateUserAsync(IamUser user, CancellationToken cancellationToken);

    Task<IamUser?> GetUserAsync(string accountId, string userName, CancellationToken cancellationToken);

    /// <summary>Replaces a user's tags (the only mutable part Lamina serves).</summary>
    Task<WriteStatus> UpdateUserAsync(IamUser user, CancellationToken cancellationToken);

    Task<IReadOnlyList<IamUser>> ListUsersAsync(string accountId, string? pathPrefix, CancellationToken cancellationToken);

    /// <summary><see cref="WriteStatus.Refused"/> while the user has access keys, inline or attached policies.</summary>
    Task<WriteStatus> DeleteUserAsync(string accountId, string userName, CancellationToken cancellationToken);

    Task<WriteStatus> CreateRoleAsync(IamRole role, CancellationToken cancellationToken);

    Task<IamRole?> GetRoleAsync(string accountId, string roleName, CancellationToken cancellationToken);

    Task<IReadOnlyList<IamRole>> ListRolesAsync(string accountId, string? pathPrefix, CancellationToken cancellationToken);

    Task<WriteStatus> UpdateRoleAsync(IamRole role, CancellationToken cancellationToken);

    /// <summary><see cref="WriteStatus.Refused"/> while the role has inline or attached policies.</summary>
    Task<WriteStatus> DeleteRoleAsync(string accountId, string roleName, CancellationToken cancellationToken);

    Task<WriteStatus> CreatePolicyAsync(ManagedPolicy policy, CancellationToken cancellationToken);

    Task<ManagedPolicy?> GetPolicyAsync(string accountId, string policyArn, CancellationToken cancellationToken);

    Task<IReadOnlyList<ManagedPolicy>> ListPoliciesAsync(string accountId, CancellationToken cancellationToken);

    Task<WriteStatus> UpdatePolicyAsync(ManagedPolicy policy, CancellationToken cancellationToken);

    /// <summary><see cref="WriteStatus.Refused"/> while the policy is attached to anything.</summary>
    Task<WriteStatus> DeletePolicyAsync(string accountId, string policyArn, CancellationToken cancellationToken);

    Task<int> PolicyAttachmentCountAsync(string accountId, string policyArn, CancellationToken cancellationToken);

    Task<WriteStatus> PutInlinePolicyAsync(InlinePolicy policy, CancellationToken cancellationToken);

    Task<InlinePolicy?> GetInlinePolicyAsync(string accountId, IamPrincipalType type, string principalName, string policyName,
        CancellationToken cancellationToken);

    Task<IReadOnlyList<string>> ListInlinePolicyNamesAsync(string accountId, IamPrincipalType type, string principalName, CancellationToken cancellationToken);

    Task<WriteStatus> DeleteInlinePolicyAsync(string accountId, IamPrincipalType type, string principalName, string policyName,
        CancellationToken cancellationToken);

    Task<WriteStatus> AttachPolicyAsync(string accountId, IamPrincipalType type, string principalName, string policyArn, CancellationToken cancellationToken);

    Task<WriteStatus> DetachPolicyAsync(string accountId, IamPrincipalType type, string principalName, string policyArn, CancellationToken cancellationToken);

    Task<IReadOnlyList<string>> ListAttachedPolicyArnsAsync(string accountId, IamPrincipalType type, string principalName,
        CancellationToken cancellationToken);

    /// <summary>Inline documents and attached policy ARNs of a user or role, in one read (the authorization hot path).</summary>
    Task<PrincipalPolicies> GetPrincipalPoliciesAsync(string accountId, IamPrincipalType type, string principalName, CancellationToken cancellationToken);

    /// <summary>A function's policy for a qualifier ("" for the unqualified function).</summary>
    Task<ResourcePolicy?> GetFunctionPolicyAsync(string accountId, string functionName, string qualifier, CancellationToken cancellationToken);

    /// <summary>Replaces the policy if its revision is still <paramref name="expectedRevisionId"/> (empty: there must be no policy yet;
    /// null: not checked); a null document deletes it.</summary>
    Task<WriteStatus> PutFunctionPolicyAsync(string accountId, string functionName, string qualifier, ResourcePolicy? policy,
        string? expectedRevisionId, CancellationToken cancellationToken);

    Task<ResourcePolicy?> GetLayerVersionPolicyAsync(string accountId, string layerName, long version, CancellationToken cancellationToken);

    /// <summary>As <see cref="PutFunctionPolicyAsync"/>, for a layer version.</summary>
    Task<WriteStatus> PutLayerVersionPolicyAsync(string accountId, string layerName, long version, ResourcePolicy? policy, string? expectedRevisionId,
        CancellationToken cancellationToken);
}
