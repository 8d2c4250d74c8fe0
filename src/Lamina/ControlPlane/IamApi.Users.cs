using Lamina.Core.Accounts;
using Lamina.Core.Errors;
using Lamina.Core.Iam;
using Lamina.Core.Storage;
using Lamina.Http;

namespace Lamina.ControlPlane;

internal static partial class IamApi
{
    private static async Task<ApiResult> CreateUser(ApiCall call)
    {
        var args = Args(call);
        var name = args.Required("UserName", IamConstraints.UserName);
        var path = args.Optional("Path", IamConstraints.Path) ?? "/";
        var tags = args.Tags();
        if ((args.Error ?? tags.Error ?? RefuseBoundary(args)) is { } invalid)
        {
            return invalid;
        }

        var account = Account(call);
        if (await call.AuthorizeAsync("iam:CreateUser", $"arn:aws:iam::{account}:user{path}{name}", account, context: TagContext(tags.Value)) is { } denied)
        {
            return denied;
        }

        var user = await Iam(call).CreateUserAsync(account, name, path, tags.Value, call.Aborted());
        return user.TryGetValue(out var created, out var error) ? Ok(xml => User(xml, created)) : error;
    }

    private static async Task<ApiResult> GetUser(ApiCall call)
    {
        var args = Args(call);
        var named = args.Optional("UserName", IamConstraints.ExistingUserName);
        if (args.Error is { } invalid || !SelfOrNamed(call, named).TryGetValue(out var name, out invalid))
        {
            return invalid;
        }

        var account = Account(call);
        if (name is null)
        {
            // The root user: AWS answers with the account id as UserId and no name or path.
            var root = IamService.RootKeyOwner(account).Arn;
            if (await call.AuthorizeAsync("iam:GetUser", root, account) is { } rootDenied)
            {
                return rootDenied;
            }

            var created = (await call.Service<IStore>().Accounts.GetAsync(account, call.Aborted()))?.CreatedAt;
            return Ok(xml =>
            {
                xml.Start("User");
                xml.Value("UserId", account);
                xml.Value("Arn", root);
                xml.Value("CreateDate", created);
                xml.End();
            });
        }

        if (await call.AuthorizeAsync("iam:GetUser", await Iam(call).UserArnAsync(account, name, call.Aborted()), account) is { } denied)
        {
            return denied;
        }

        var user = await Iam(call).GetUserAsync(account, name, call.Aborted());
        return user.TryGetValue(out var found, out var error) ? Ok(xml => User(xml, found)) : error;
    }

    private static async Task<ApiResult> ListUsers(ApiCall call)
    {
        var args = Args(call);
        var prefix = args.Optional("PathPrefix", IamConstraints.PathPrefix);
        var (marker, maxItems) = args.Paging();
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        if (await call.AuthorizeAsync("iam:ListUsers", "*", Account(call)) is { } denied)
        {
            return denied;
        }

        var users = await Iam(call).ListUsersAsync(Account(call), prefix, call.Aborted());
        var (page, next) = Page(users, u => u.UserName, marker, maxItems);
        return Ok(xml =>
        {
            xml.Members("Users", page, (x, user) => WriteUser(x, user, tags: false));
            WritePage(xml, next);
        });
    }

    private static async Task<ApiResult> DeleteUser(ApiCall call)
    {
        var args = Args(call);
        var name = args.Required("UserName", IamConstraints.ExistingUserName);
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        var account = Account(call);
        if (await call.AuthorizeAsync("iam:DeleteUser", await Iam(call).UserArnAsync(account, name, call.Aborted()), account) is { } denied)
        {
            return denied;
        }

        return Done(await Iam(call).DeleteUserAsync(account, name, call.Aborted()));
    }

    private static async Task<ApiResult> TagUser(ApiCall call)
    {
        var args = Args(call);
        var name = args.Required("UserName", IamConstraints.ExistingUserName);
        var tags = args.Tags(required: true);
        if ((args.Error ?? tags.Error) is { } invalid)
        {
            return invalid;
        }

        var account = Account(call);
        var arn = await Iam(call).UserArnAsync(account, name, call.Aborted());
        if (await call.AuthorizeAsync("iam:TagUser", arn, account, context: TagContext(tags.Value)) is { } denied)
        {
            return denied;
        }

        return Done(await Iam(call).TagUserAsync(account, name, tags.Value, call.Aborted()));
    }

    private static async Task<ApiResult> UntagUser(ApiCall call)
    {
        var args = Args(call);
        var name = args.Required("UserName", IamConstraints.ExistingUserName);
        var keys = args.List("TagKeys", IamConstraints.TagKey, required: true);
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        var account = Account(call);
        if (await call.AuthorizeAsync("iam:UntagUser", await Iam(call).UserArnAsync(account, name, call.Aborted()), account) is { } denied)
        {
            return denied;
        }

        return Done(await Iam(call).UntagUserAsync(account, name, keys, call.Aborted()));
    }

    private static async Task<ApiResult> ListUserTags(ApiCall call)
    {
        var args = Args(call);
        var name = args.Required("UserName", IamConstraints.ExistingUserName);
        var (marker, maxItems) = args.Paging();
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        var account = Account(call);
        if (await call.AuthorizeAsync("iam:ListUserTags", await Iam(call).UserArnAsync(account, name, call.Aborted()), account) is { } denied)
        {
            return denied;
        }

        if (!(await Iam(call).GetUserAsync(account, name, call.Aborted())).TryGetValue(out var user, out var error))
        {
            return error;
        }

        var (page, next) = Page(user.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).ToList(), t => t.Key, marker, maxItems);
        return Ok(xml =>
        {
            xml.Tags("Tags", page.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal));
            WritePage(xml, next);
        });
    }

    private static async Task<ApiResult> CreateAccessKey(ApiCall call)
    {
        var (owner, error) = await KeyOwnerAsync(call, Args(call), "iam:CreateAccessKey");
        if (error is not null)
        {
            return error;
        }

        var issued = await Iam(call).CreateAccessKeyAsync(owner!, call.Aborted());
        if (!issued.TryGetValue(out var key, out error))
        {
            return error;
        }

        // The secret is in this response only; it is never logged and cannot be read back.
        return Ok(xml =>
        {
            xml.Start("AccessKey");
            xml.Value("UserName", key.UserName);
            xml.Value("AccessKeyId", key.Key.AccessKeyId);
            xml.Value("Status", key.Key.Status);
            xml.Value("SecretAccessKey", key.SecretAccessKey);
            xml.Value("CreateDate", key.Key.CreatedAt);
            xml.End();
        });
    }

    private static async Task<ApiResult> ListAccessKeys(ApiCall call)
    {
        var args = Args(call);
        var (marker, maxItems) = args.Paging();
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        var (owner, error) = await KeyOwnerAsync(call, args, "iam:ListAccessKeys");
        if (error is not null)
        {
            return error;
        }

        var keys = await Iam(call).ListAccessKeysAsync(owner!, call.Aborted());
        var (page, next) = Page(keys, k => k.AccessKeyId, marker, maxItems);
        return Ok(xml =>
        {
            xml.Members("AccessKeyMetadata", page, (x, key) =>
            {
                x.Value("UserName", owner!.UserName);
                x.Value("AccessKeyId", key.AccessKeyId);
                x.Value("Status", key.Status);
                x.Value("CreateDate", key.CreatedAt);
            });
            WritePage(xml, next);
        });
    }

    private static async Task<ApiResult> UpdateAccessKey(ApiCall call)
    {
        var args = Args(call);
        var keyId = args.Required("AccessKeyId", IamConstraints.AccessKeyId);
        var status = args.Enum("Status", IamConstraints.KeyStatuses, required: true);
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        if (status is not ("Active" or "Inactive"))
        {
            return IamErrors.InvalidInput($"Status {status} is not valid: an access key is Active or Inactive.");
        }

        var (owner, error) = await KeyOwnerAsync(call, args, "iam:UpdateAccessKey");
        return error ?? Done(await Iam(call).UpdateAccessKeyAsync(owner!, keyId, status, call.Aborted()));
    }

    private static async Task<ApiResult> DeleteAccessKey(ApiCall call)
    {
        var args = Args(call);
        var keyId = args.Required("AccessKeyId", IamConstraints.AccessKeyId);
        if (args.Error is { } invalid)
        {
            return invalid;
        }

        var (owner, error) = await KeyOwnerAsync(call, args, "iam:DeleteAccessKey");
        return error ?? Done(await Iam(call).DeleteAccessKeyAsync(owner!, keyId, call.Aborted()));
    }

    private static async Task<ApiResult> GetAccountSummary(ApiCall call)
    {
        if (await call.AuthorizeAsync("iam:GetAccountSummary", "*", Account(call)) is { } denied)
        {
            return denied;
        }

        var summary = await Iam(call).GetAccountSummaryAsync(Account(call), call.Aborted());
        return Ok(xml => xml.Map("SummaryMap",
            summary.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)))));
    }

    /// <summary>
    /// The key owner of an access-key call (the named user, else the caller: a user, or the root user),
    /// authorized for <paramref name="action"/> on that user's ARN before it is looked up.
    /// </summary>
    private static async Task<(KeyOwner? Owner, AwsError? Error)> KeyOwnerAsync(ApiCall call, QueryArgs args, string action)
    {
        var named = args.Optional("UserName", IamConstraints.ExistingUserName);
        if (args.Error is { } invalid || !SelfOrNamed(call, named).TryGetValue(out var name, out invalid))
        {
            return (null, invalid);
        }

        var account = Account(call);
        var resource = name is null ? IamService.RootKeyOwner(account).Arn : await Iam(call).UserArnAsync(account, name, call.Aborted());
        if (await call.AuthorizeAsync(action, resource, account) is { } denied)
        {
            return (null, denied);
        }

        if (name is null)
        {
            return (IamService.RootKeyOwner(account), null);
        }

        var owner = await Iam(call).UserKeyOwnerAsync(account, name, call.Aborted());
        return owner.TryGetValue(out var found, out var error) ? (found, null) : (null, error);
    }

    /// <summary>The user a call is about: the named one, else the calling user; null for the root user; an error for role sessions.</summary>
    private static Outcome<string?> SelfOrNamed(ApiCall call, string? userName) =>
        userName is not null ? userName
        : call.Caller.Kind switch
        {
            PrincipalKind.Root => new Outcome<string?>((string?)null),
            PrincipalKind.User => NameOf(call.Caller.Arn),
            _ => IamErrors.Validation("Must specify userName when calling with non-User credentials"),
        };

    private static void User(QueryXml xml, IamUser user)
    {
        xml.Start("User");
        WriteUser(xml, user, tags: true);
        xml.End();
    }
}
