using Lamina.Core.Iam;
using Lamina.Http;

namespace Lamina.ControlPlane;

internal static partial class IamApi
{
    private static async Task<ApiResult> CreateRole(ApiCall call)
    {
        var args = Args(call);
        var name = args.Required("RoleName", IamConstraints.RoleName);
        var path = args.Optional("Path", IamConstraints.Path) ?? "/";
        var trust = args.Required("AssumeRolePolicyDocument", IamConstraints.PolicyDocument);
        var description = args.Optional("Description", IamConstraints.RoleDescription);
        var maxSession = args.Int("MaxSessionDuration", 3600, 43200);
        var tags = args.Tags();
        if ((args.Error ?? tags.Error ?? RefuseBoundary(args)) is { } invalid)
        {
            return invalid;
        }

        var account = Account(call);
        if (await call.AuthorizeAsync("iam:CreateRole", $"arn:aws:iam::{account}:role{path}{name}", account, context: TagContext(tags.Value)) is { } denied)
        {
            return denied;
        }

        var role = await Iam(call).CreateRoleAsync(account,
            new IamService.NewRole(name, path, trust, description, maxSession ?? 3600, tags.Value), call.Aborted());
        return role.TryGetValue(out var created, out var error) ? Ok(xml => Role(xml, created, details: false)) : error;
    }

    private static async Task<ApiResult> GetRole(ApiCall call)
    {
        var args = Args(call);
        var name = args.Required("RoleName", IamConstraints.RoleName);
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        var account = Account(call);
        if (await call.AuthorizeAsync("iam:GetRole", await Iam(call).RoleArnAsync(account, name, call.Aborted()), account) is { } denied)
        {
            return denied;
        }

        var role = await Iam(call).GetRoleAsync(account, name, call.Aborted());
        return role.TryGetValue(out var found, out var error) ? Ok(xml => Role(xml, found, details: true)) : error;
    }

    private static async Task<ApiResult> ListRoles(ApiCall call)
    {
        var args = Args(call);
        var prefix = args.Optional("PathPrefix", IamConstraints.PathPrefix);
        var (marker, maxItems) = args.Paging();
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        if (await call.AuthorizeAsync("iam:ListRoles", "*", Account(call)) is { } denied)
        {
            return denied;
        }

        var roles = await Iam(call).ListRolesAsync(Account(call), prefix, call.Aborted());
        var (page, next) = Page(roles, r => r.RoleName, marker, maxItems);
        return Ok(xml =>
        {
            xml.Members("Roles", page, (x, role) => WriteRole(x, role, details: false));
            WritePage(xml, next);
        });
    }

    private static async Task<ApiResult> UpdateRole(ApiCall call)
    {
        var args = Args(call);
        var name = args.Required("RoleName", IamConstraints.RoleName);
        var description = args.Optional("Description", IamConstraints.RoleDescription);
        var maxSession = args.Int("MaxSessionDuration", 3600, 43200);
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        var account = Account(call);
        if (await call.AuthorizeAsync("iam:UpdateRole", await Iam(call).RoleArnAsync(account, name, call.Aborted()), account) is { } denied)
        {
            return denied;
        }

        // UpdateRole is the one IAM write with an (empty) output shape: botocore expects an UpdateRoleResult element.
        return await Iam(call).UpdateRoleAsync(account, name, description, maxSession, call.Aborted()) is { } error ? error : Ok(_ => { });
    }

    private static async Task<ApiResult> UpdateAssumeRolePolicy(ApiCall call)
    {
        var args = Args(call);
        var name = args.Required("RoleName", IamConstraints.RoleName);
        var document = args.Required("PolicyDocument", IamConstraints.PolicyDocument);
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        var account = Account(call);
        if (await call.AuthorizeAsync("iam:UpdateAssumeRolePolicy", await Iam(call).RoleArnAsync(account, name, call.Aborted()), account) is { } denied)
        {
            return denied;
        }

        return Done(await Iam(call).UpdateAssumeRolePolicyAsync(account, name, document, call.Aborted()));
    }

    private static async Task<ApiResult> DeleteRole(ApiCall call)
    {
        var args = Args(call);
        var name = args.Required("RoleName", IamConstraints.RoleName);
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        var account = Account(call);
        if (await call.AuthorizeAsync("iam:DeleteRole", await Iam(call).RoleArnAsync(account, name, call.Aborted()), account) is { } denied)
        {
            return denied;
        }

        return Done(await Iam(call).DeleteRoleAsync(account, name, call.Aborted()));
    }

    private static async Task<ApiResult> TagRole(ApiCall call)
    {
        var args = Args(call);
        var name = args.Required("RoleName", IamConstraints.RoleName);
        var tags = args.Tags(required: true);
        if ((args.Error ?? tags.Error) is { } invalid)
        {
            return invalid;
        }

        var account = Account(call);
        var arn = await Iam(call).RoleArnAsync(account, name, call.Aborted());
        if (await call.AuthorizeAsync("iam:TagRole", arn, account, context: TagContext(tags.Value)) is { } denied)
        {
            return denied;
        }

        return Done(await Iam(call).TagRoleAsync(account, name, tags.Value, call.Aborted()));
    }

    private static async Task<ApiResult> UntagRole(ApiCall call)
    {
        var args = Args(call);
        var name = args.Required("RoleName", IamConstraints.RoleName);
        var keys = args.List("TagKeys", IamConstraints.TagKey, required: true);
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        var account = Account(call);
        if (await call.AuthorizeAsync("iam:UntagRole", await Iam(call).RoleArnAsync(account, name, call.Aborted()), account) is { } denied)
        {
            return denied;
        }

        return Done(await Iam(call).UntagRoleAsync(account, name, keys, call.Aborted()));
    }

    private static async Task<ApiResult> ListRoleTags(ApiCall call)
    {
        var args = Args(call);
        var name = args.Required("RoleName", IamConstraints.RoleName);
        var (marker, maxItems) = args.Paging();
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        var account = Account(call);
        if (await call.AuthorizeAsync("iam:ListRoleTags", await Iam(call).RoleArnAsync(account, name, call.Aborted()), account) is { } denied)
        {
            return denied;
        }

        if (!(await Iam(call).GetRoleAsync(account, name, call.Aborted())).TryGetValue(out var role, out var error))
        {
            return error;
        }

        var (page, next) = Page(role.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).ToList(), t => t.Key, marker, maxItems);
        return Ok(xml =>
        {
            xml.Tags("Tags", page.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal));
            WritePage(xml, next);
        });
    }

    private static void Role(QueryXml xml, IamRole role, bool details)
    {
        xml.Start("Role");
        WriteRole(xml, role, details);
        if (!details && role.Tags.Count > 0)
        {
            xml.Tags("Tags", role.Tags);
        }

        xml.End();
    }
}
