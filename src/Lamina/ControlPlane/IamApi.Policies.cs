using Lamina.Core.Errors;
using Lamina.Core.Iam;
using Lamina.Http;

namespace Lamina.ControlPlane;

internal static partial class IamApi
{
    // ---- inline policies of users and roles ----

    private static (string Member, StringRule Rule, string Noun) PrincipalMember(IamPrincipalType type) => type == IamPrincipalType.User
        ? ("UserName", IamConstraints.ExistingUserName, "User")
        : ("RoleName", IamConstraints.RoleName, "Role");

    /// <summary>The ARN a user or role action is authorized on.</summary>
    private static Task<string> PrincipalArnAsync(ApiCall call, IamPrincipalType type, string name) => type == IamPrincipalType.User
        ? Iam(call).UserArnAsync(Account(call), name, call.Aborted())
        : Iam(call).RoleArnAsync(Account(call), name, call.Aborted());

    private static async Task<ApiResult> PutInlinePolicy(ApiCall call, IamPrincipalType type)
    {
        var (member, rule, noun) = PrincipalMember(type);
        var args = Args(call);
        var principal = args.Required(member, rule);
        var policyName = args.Required("PolicyName", IamConstraints.PolicyName);
        var document = args.Required("PolicyDocument", IamConstraints.PolicyDocument);
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        if (await call.AuthorizeAsync($"iam:Put{noun}Policy", await PrincipalArnAsync(call, type, principal), Account(call)) is { } denied)
        {
            return denied;
        }

        return Done(await Iam(call).PutInlinePolicyAsync(Account(call), type, principal, policyName, document, call.Aborted()));
    }

    private static async Task<ApiResult> GetInlinePolicy(ApiCall call, IamPrincipalType type)
    {
        var (member, rule, noun) = PrincipalMember(type);
        var args = Args(call);
        var principal = args.Required(member, rule);
        var policyName = args.Required("PolicyName", IamConstraints.PolicyName);
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        if (await call.AuthorizeAsync($"iam:Get{noun}Policy", await PrincipalArnAsync(call, type, principal), Account(call)) is { } denied)
        {
            return denied;
        }

        var policy = await Iam(call).GetInlinePolicyAsync(Account(call), type, principal, policyName, call.Aborted());
        return policy.TryGetValue(out var found, out var error)
            ? Ok(xml =>
            {
                xml.Value(member, found.PrincipalName);
                xml.Value("PolicyName", found.PolicyName);
                xml.Document("PolicyDocument", found.Document);
            })
            : error;
    }

    private static async Task<ApiResult> ListInlinePolicies(ApiCall call, IamPrincipalType type)
    {
        var (member, rule, noun) = PrincipalMember(type);
        var args = Args(call);
        var principal = args.Required(member, rule);
        var (marker, maxItems) = args.Paging();
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        if (await call.AuthorizeAsync($"iam:List{noun}Policies", await PrincipalArnAsync(call, type, principal), Account(call)) is { } denied)
        {
            return denied;
        }

        var names = await Iam(call).ListInlinePolicyNamesAsync(Account(call), type, principal, call.Aborted());
        if (!names.TryGetValue(out var all, out var error))
        {
            return error;
        }

        var (page, next) = Page(all, n => n, marker, maxItems);
        return Ok(xml =>
        {
            xml.Members("PolicyNames", page);
            WritePage(xml, next);
        });
    }

    private static async Task<ApiResult> DeleteInlinePolicy(ApiCall call, IamPrincipalType type)
    {
        var (member, rule, noun) = PrincipalMember(type);
        var args = Args(call);
        var principal = args.Required(member, rule);
        var policyName = args.Required("PolicyName", IamConstraints.PolicyName);
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        if (await call.AuthorizeAsync($"iam:Delete{noun}Policy", await PrincipalArnAsync(call, type, principal), Account(call)) is { } denied)
        {
            return denied;
        }

        return Done(await Iam(call).DeleteInlinePolicyAsync(Account(call), type, principal, policyName, call.Aborted()));
    }

    // ---- managed policies ----

    private static async Task<ApiResult> CreatePolicy(ApiCall call)
    {
        var args = Args(call);
        var name = args.Required("PolicyName", IamConstraints.PolicyName);
        var path = args.Optional("Path", IamConstraints.PolicyPath) ?? "/";
        var document = args.Required("PolicyDocument", IamConstraints.PolicyDocument);
        var description = args.Optional("Description", IamConstraints.PolicyDescription);
        var tags = args.Tags();
        if ((args.Error ?? tags.Error) is { } invalid)
        {
            return invalid;
        }

        if (tags.Value.Count > 0)
        {
            return IamErrors.InvalidInput("Lamina does not store tags on managed policies; create the policy without Tags.");
        }

        var account = Account(call);
        if (await call.AuthorizeAsync("iam:CreatePolicy", $"arn:aws:iam::{account}:policy{path}{name}", account) is { } denied)
        {
            return denied;
        }

        var policy = await Iam(call).CreatePolicyAsync(account, name, path, document, description, call.Aborted());
        return policy.TryGetValue(out var created, out var error) ? Ok(xml => Policy(xml, created)) : error;
    }

    /// <summary>
    /// Reads of AWS managed policies are authorized as the caller's own account's (everyone may read
    /// them); changes are authorized as the <c>aws</c> account's, which no Lamina principal is allowed.
    /// </summary>
    private static string PolicyAccount(ApiCall call, string policyArn, bool change) =>
        change && AwsManagedPolicies.IsAwsManaged(policyArn) ? "aws" : Account(call);

    private static async Task<ApiResult> GetPolicy(ApiCall call)
    {
        var args = Args(call);
        var arn = args.Required("PolicyArn", IamConstraints.Arn);
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        if (await call.AuthorizeAsync("iam:GetPolicy", arn, PolicyAccount(call, arn, change: false)) is { } denied)
        {
            return denied;
        }

        var policy = await Iam(call).GetPolicyAsync(Account(call), arn, call.Aborted());
        return policy.TryGetValue(out var found, out var error) ? Ok(xml => Policy(xml, found)) : error;
    }

    private static async Task<ApiResult> ListPolicies(ApiCall call)
    {
        var args = Args(call);
        var scope = args.Enum("Scope", IamConstraints.PolicyScopes) ?? "All";
        var onlyAttached = args.Bool("OnlyAttached") ?? false;
        var prefix = args.Optional("PathPrefix", IamConstraints.PolicyPath);
        var (marker, maxItems) = args.Paging();
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        if (await call.AuthorizeAsync("iam:ListPolicies", "*", Account(call)) is { } denied)
        {
            return denied;
        }

        var policies = await Iam(call).ListPoliciesAsync(Account(call), scope, onlyAttached, prefix, call.Aborted());
        var (page, next) = Page(policies, p => p.Policy.PolicyName, marker, maxItems);
        return Ok(xml =>
        {
            xml.Members("Policies", page, (x, view) => WritePolicy(x, view, description: false));
            WritePage(xml, next);
        });
    }

    private static async Task<ApiResult> DeletePolicy(ApiCall call)
    {
        var args = Args(call);
        var arn = args.Required("PolicyArn", IamConstraints.Arn);
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        if (await call.AuthorizeAsync("iam:DeletePolicy", arn, PolicyAccount(call, arn, change: true)) is { } denied)
        {
            return denied;
        }

        return Done(await Iam(call).DeletePolicyAsync(Account(call), arn, call.Aborted()));
    }

    private static async Task<ApiResult> CreatePolicyVersion(ApiCall call)
    {
        var args = Args(call);
        var arn = args.Required("PolicyArn", IamConstraints.Arn);
        var document = args.Required("PolicyDocument", IamConstraints.PolicyDocument);
        var setAsDefault = args.Bool("SetAsDefault") ?? false;
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        if (await call.AuthorizeAsync("iam:CreatePolicyVersion", arn, PolicyAccount(call, arn, change: true)) is { } denied)
        {
            return denied;
        }

        var version = await Iam(call).CreatePolicyVersionAsync(Account(call), arn, document, setAsDefault, call.Aborted());
        return version.TryGetValue(out var policy, out var error)
            ? Ok(xml =>
            {
                xml.Start("PolicyVersion");
                WritePolicyVersion(xml, policy, document: false);
                xml.End();
            })
            : error;
    }

    private static async Task<ApiResult> GetPolicyVersion(ApiCall call)
    {
        var args = Args(call);
        var arn = args.Required("PolicyArn", IamConstraints.Arn);
        var versionId = args.Required("VersionId", IamConstraints.PolicyVersionId);
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        if (await call.AuthorizeAsync("iam:GetPolicyVersion", arn, PolicyAccount(call, arn, change: false)) is { } denied)
        {
            return denied;
        }

        var version = await Iam(call).GetPolicyVersionAsync(Account(call), arn, versionId, call.Aborted());
        return version.TryGetValue(out var policy, out var error)
            ? Ok(xml =>
            {
                xml.Start("PolicyVersion");
                WritePolicyVersion(xml, policy, document: true);
                xml.End();
            })
            : error;
    }

    private static async Task<ApiResult> ListPolicyVersions(ApiCall call)
    {
        var args = Args(call);
        var arn = args.Required("PolicyArn", IamConstraints.Arn);
        args.Paging();
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        if (await call.AuthorizeAsync("iam:ListPolicyVersions", arn, PolicyAccount(call, arn, change: false)) is { } denied)
        {
            return denied;
        }

        var policy = await Iam(call).GetPolicyAsync(Account(call), arn, call.Aborted());
        return policy.TryGetValue(out var found, out var error)
            ? Ok(xml =>
            {
                xml.Members("Versions", [found.Policy], (x, p) => WritePolicyVersion(x, p, document: false));
                WritePage(xml, null);
            })
            : error;
    }

    private static async Task<ApiResult> DeletePolicyVersion(ApiCall call)
    {
        var args = Args(call);
        var arn = args.Required("PolicyArn", IamConstraints.Arn);
        var versionId = args.Required("VersionId", IamConstraints.PolicyVersionId);
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        if (await call.AuthorizeAsync("iam:DeletePolicyVersion", arn, PolicyAccount(call, arn, change: true)) is { } denied)
        {
            return denied;
        }

        return Done(await Iam(call).DeletePolicyVersionAsync(Account(call), arn, versionId, call.Aborted()));
    }

    // ---- attachments ----

    private static async Task<ApiResult> AttachPolicy(ApiCall call, IamPrincipalType type)
    {
        var (member, _, noun) = PrincipalMember(type);
        var args = Args(call);
        var principal = args.Required(member, type == IamPrincipalType.User ? IamConstraints.UserName : IamConstraints.RoleName);
        var arn = args.Required("PolicyArn", IamConstraints.Arn);
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        if (await call.AuthorizeAsync($"iam:Attach{noun}Policy", await PrincipalArnAsync(call, type, principal), Account(call),
                context: new Dictionary<string, string> { ["iam:PolicyARN"] = arn }) is { } denied)
        {
            return denied;
        }

        return Done(await Iam(call).AttachPolicyAsync(Account(call), type, principal, arn, call.Aborted()));
    }

    private static async Task<ApiResult> DetachPolicy(ApiCall call, IamPrincipalType type)
    {
        var (member, _, noun) = PrincipalMember(type);
        var args = Args(call);
        var principal = args.Required(member, type == IamPrincipalType.User ? IamConstraints.UserName : IamConstraints.RoleName);
        var arn = args.Required("PolicyArn", IamConstraints.Arn);
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        if (await call.AuthorizeAsync($"iam:Detach{noun}Policy", await PrincipalArnAsync(call, type, principal), Account(call),
                context: new Dictionary<string, string> { ["iam:PolicyARN"] = arn }) is { } denied)
        {
            return denied;
        }

        return Done(await Iam(call).DetachPolicyAsync(Account(call), type, principal, arn, call.Aborted()));
    }

    private static async Task<ApiResult> ListAttachedPolicies(ApiCall call, IamPrincipalType type)
    {
        var (member, _, noun) = PrincipalMember(type);
        var args = Args(call);
        var principal = args.Required(member, type == IamPrincipalType.User ? IamConstraints.UserName : IamConstraints.RoleName);
        var prefix = args.Optional("PathPrefix", IamConstraints.PolicyPath);
        var (marker, maxItems) = args.Paging();
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        if (await call.AuthorizeAsync($"iam:ListAttached{noun}Policies", await PrincipalArnAsync(call, type, principal), Account(call)) is { } denied)
        {
            return denied;
        }

        var attached = await Iam(call).ListAttachedPoliciesAsync(Account(call), type, principal, prefix, call.Aborted());
        if (!attached.TryGetValue(out var all, out var error))
        {
            return error;
        }

        var (page, next) = Page(all, p => p.Arn, marker, maxItems);
        return Ok(xml =>
        {
            xml.Members("AttachedPolicies", page, (x, p) =>
            {
                x.Value("PolicyName", p.Name);
                x.Value("PolicyArn", p.Arn);
            });
            WritePage(xml, next);
        });
    }

    private static void Policy(QueryXml xml, PolicyView view)
    {
        xml.Start("Policy");
        WritePolicy(xml, view, description: true);
        xml.End();
    }
}
