using Lamina.Core.Accounts;
using Lamina.Core.Auth;
using Lamina.Core.Errors;
using Lamina.Core.Iam;
using Lamina.Http;

namespace Lamina.ControlPlane;

/// <summary>
/// The IAM query API (botocore iam 2010-05-08: <c>POST /</c>, <c>Action=...</c>, XML results). Each
/// handler validates members against the model, authorizes the action on the resource the Service
/// Authorization Reference names for it, then calls <see cref="IamService"/> for the caller's account.
/// </summary>
/// <remarks>
/// User and role ARNs carry the entity's path, so a handler looks the path up before authorizing (a
/// missing entity is authorized under "/"); nothing else is read or changed before the decision.
/// </remarks>
internal static partial class IamApi
{
    public static void Map(RootDispatcher root)
    {
        Add(root, "CreateUser", CreateUser);
        Add(root, "GetUser", GetUser);
        Add(root, "ListUsers", ListUsers);
        Add(root, "DeleteUser", DeleteUser);
        Add(root, "TagUser", TagUser);
        Add(root, "UntagUser", UntagUser);
        Add(root, "ListUserTags", ListUserTags);
        Add(root, "CreateAccessKey", CreateAccessKey);
        Add(root, "ListAccessKeys", ListAccessKeys);
        Add(root, "UpdateAccessKey", UpdateAccessKey);
        Add(root, "DeleteAccessKey", DeleteAccessKey);
        Add(root, "GetAccountSummary", GetAccountSummary);

        Add(root, "CreateRole", CreateRole);
        Add(root, "GetRole", GetRole);
        Add(root, "ListRoles", ListRoles);
        Add(root, "UpdateRole", UpdateRole);
        Add(root, "UpdateAssumeRolePolicy", UpdateAssumeRolePolicy);
        Add(root, "DeleteRole", DeleteRole);
        Add(root, "TagRole", TagRole);
        Add(root, "UntagRole", UntagRole);
        Add(root, "ListRoleTags", ListRoleTags);

        Add(root, "PutUserPolicy", call => PutInlinePolicy(call, IamPrincipalType.User));
        Add(root, "GetUserPolicy", call => GetInlinePolicy(call, IamPrincipalType.User));
        Add(root, "ListUserPolicies", call => ListInlinePolicies(call, IamPrincipalType.User));
        Add(root, "DeleteUserPolicy", call => DeleteInlinePolicy(call, IamPrincipalType.User));
        Add(root, "PutRolePolicy", call => PutInlinePolicy(call, IamPrincipalType.Role));
        Add(root, "GetRolePolicy", call => GetInlinePolicy(call, IamPrincipalType.Role));
        Add(root, "ListRolePolicies", call => ListInlinePolicies(call, IamPrincipalType.Role));
        Add(root, "DeleteRolePolicy", call => DeleteInlinePolicy(call, IamPrincipalType.Role));

        Add(root, "CreatePolicy", CreatePolicy);
        Add(root, "GetPolicy", GetPolicy);
        Add(root, "ListPolicies", ListPolicies);
        Add(root, "DeletePolicy", DeletePolicy);
        Add(root, "CreatePolicyVersion", CreatePolicyVersion);
        Add(root, "GetPolicyVersion", GetPolicyVersion);
        Add(root, "ListPolicyVersions", ListPolicyVersions);
        Add(root, "DeletePolicyVersion", DeletePolicyVersion);

        Add(root, "AttachUserPolicy", call => AttachPolicy(call, IamPrincipalType.User));
        Add(root, "DetachUserPolicy", call => DetachPolicy(call, IamPrincipalType.User));
        Add(root, "ListAttachedUserPolicies", call => ListAttachedPolicies(call, IamPrincipalType.User));
        Add(root, "AttachRolePolicy", call => AttachPolicy(call, IamPrincipalType.Role));
        Add(root, "DetachRolePolicy", call => DetachPolicy(call, IamPrincipalType.Role));
        Add(root, "ListAttachedRolePolicies", call => ListAttachedPolicies(call, IamPrincipalType.Role));
    }

    /// <summary>
    /// AWS refuses IAM calls made with GetSessionToken credentials that carry no MFA context, as an
    /// invalid token; Lamina has no MFA, so its user sessions never reach IAM.
    /// </summary>
    private static void Add(RootDispatcher root, string action, RootDispatcher.Handler handler) =>
        root.Add("iam", action, call => IsUserSession(call.Caller) ? Task.FromResult<ApiResult>(IamErrors.InvalidClientTokenId()) : handler(call));

    private static bool IsUserSession(CallerIdentity caller) => caller.SessionData is not null && caller.Kind != PrincipalKind.AssumedRole;

    private static IamService Iam(ApiCall call) => call.Service<IamService>();

    private static string Account(ApiCall call) => call.Caller.AccountId;

    private static QueryArgs Args(ApiCall call) => new(call.Form);

    private static XmlResult Ok(Action<QueryXml>? result = null) => new(result);

    private static ApiResult Done(AwsError? error) => error is null ? Ok() : error;

    private static string NameOf(string arn) => arn[(arn.LastIndexOf('/') + 1)..];

    /// <summary>Permissions boundaries are not enforced by Lamina, so they are refused rather than silently ignored.</summary>
    private static AwsError? RefuseBoundary(QueryArgs args) => args.Raw("PermissionsBoundary") is null
        ? null
        : IamErrors.InvalidInput("Lamina does not support permissions boundaries.");

    /// <summary><c>aws:RequestTag/KEY</c> condition keys of a request that sets tags.</summary>
    private static Dictionary<string, string> TagContext(IReadOnlyDictionary<string, string> tags) =>
        tags.ToDictionary(t => $"aws:RequestTag/{t.Key}", t => t.Value, StringComparer.Ordinal);

    /// <summary>One page of a list operation: Marker is the key of the first item of the next page.</summary>
    private static (IReadOnlyList<T> Items, string? NextMarker) Page<T>(IReadOnlyList<T> items, Func<T, string> key, string? marker, int? maxItems)
    {
        var start = 0;
        if (marker is not null)
        {
            start = items.Count;
            for (var i = 0; i < items.Count; i++)
            {
                if (string.Compare(key(items[i]), marker, StringComparison.OrdinalIgnoreCase) >= 0)
                {
                    start = i;
                    break;
                }
            }
        }

        var size = maxItems ?? 100;
        var page = items.Skip(start).Take(size).ToList();
        return (page, start + size < items.Count ? key(items[start + size]) : null);
    }

    private static void WritePage(QueryXml xml, string? nextMarker)
    {
        xml.Value("IsTruncated", nextMarker is not null);
        xml.Value("Marker", nextMarker);
    }

    private static void WriteUser(QueryXml xml, IamUser user, bool tags)
    {
        xml.Value("Path", user.Path);
        xml.Value("UserName", user.UserName);
        xml.Value("UserId", user.UserId);
        xml.Value("Arn", user.Arn);
        xml.Value("CreateDate", user.CreatedAt);
        if (tags && user.Tags.Count > 0)
        {
            xml.Tags("Tags", user.Tags);
        }
    }

    private static void WriteRole(QueryXml xml, IamRole role, bool details)
    {
        xml.Value("Path", role.Path);
        xml.Value("RoleName", role.RoleName);
        xml.Value("RoleId", role.RoleId);
        xml.Value("Arn", role.Arn);
        xml.Value("CreateDate", role.CreatedAt);
        xml.Document("AssumeRolePolicyDocument", role.AssumeRolePolicyDocument);
        xml.Value("Description", role.Description);
        xml.Value("MaxSessionDuration", role.MaxSessionDuration);
        if (details)
        {
            if (role.Tags.Count > 0)
            {
                xml.Tags("Tags", role.Tags);
            }

            // Lamina does not track role use; AWS sends the element empty for a role never used.
            xml.Start("RoleLastUsed");
            xml.End();
        }
    }

    private static void WritePolicy(QueryXml xml, PolicyView view, bool description)
    {
        var policy = view.Policy;
        xml.Value("PolicyName", policy.PolicyName);
        xml.Value("PolicyId", policy.PolicyId);
        xml.Value("Arn", policy.Arn);
        xml.Value("Path", policy.Path);
        xml.Value("DefaultVersionId", policy.DefaultVersionId);
        xml.Value("AttachmentCount", view.AttachmentCount);
        xml.Value("PermissionsBoundaryUsageCount", 0);
        xml.Value("IsAttachable", true);
        if (description)
        {
            xml.Value("Description", policy.Description);
        }

        xml.Value("CreateDate", policy.CreatedAt);
        xml.Value("UpdateDate", policy.UpdatedAt);
    }

    private static void WritePolicyVersion(QueryXml xml, ManagedPolicy policy, bool document)
    {
        if (document)
        {
            xml.Document("Document", policy.Document);
        }

        xml.Value("VersionId", policy.DefaultVersionId);
        xml.Value("IsDefaultVersion", true);
        xml.Value("CreateDate", policy.UpdatedAt);
    }
}
