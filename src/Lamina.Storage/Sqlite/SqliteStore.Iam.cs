using System.Text.Json;
using Lamina.Core.Api.Lambda;
using Lamina.Core.Iam;
using Lamina.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Lamina.Storage.Sqlite;

internal sealed partial class SqliteStore : IIamStore
{
    public IIamStore Iam => this;

    private static string TagsJson(IReadOnlyDictionary<string, string> tags) =>
        JsonSerializer.Serialize(new Dictionary<string, string>(tags), LambdaJson.Default.DictionaryStringString);

    private static Dictionary<string, string> ParseTags(string json) => JsonSerializer.Deserialize(json, LambdaJson.Default.DictionaryStringString) ?? [];

    private static string Type(IamPrincipalType type) => type == IamPrincipalType.User ? "user" : "role";

    private static IamUser MapUser(SqliteDataReader r) => new()
    {
        AccountId = r.GetString(0),
        UserName = r.GetString(1),
        UserId = r.GetString(2),
        Path = r.GetString(3),
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)),
        Tags = ParseTags(r.GetString(5)),
    };

    private const string UserColumns = "account_id, user_name, user_id, path, created_at, tags";

    public Task<WriteStatus> CreateUserAsync(IamUser user, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            if (await Scalar(c, tx, "SELECT 1 FROM iam_users WHERE account_id = $a AND user_name = $n", cancellationToken,
                    ("$a", user.AccountId), ("$n", user.UserName)) is not null)
            {
                return (WriteStatus.AlreadyExists, false);
            }

            await Execute(c, tx, $"INSERT INTO iam_users ({UserColumns}) VALUES ($a, $n, $id, $p, $t, $tags)", cancellationToken,
                ("$a", user.AccountId), ("$n", user.UserName), ("$id", user.UserId), ("$p", user.Path), ("$t", user.CreatedAt.ToUnixTimeMilliseconds()),
                ("$tags", TagsJson(user.Tags)));
            return (WriteStatus.Ok, true);
        }, cancellationToken);

    public Task<IamUser?> GetUserAsync(string accountId, string userName, CancellationToken cancellationToken) =>
        ReadOneAsync($"SELECT {UserColumns} FROM iam_users WHERE account_id = $a AND user_name = $n", MapUser, cancellationToken,
            ("$a", accountId), ("$n", userName));

    public Task<WriteStatus> UpdateUserAsync(IamUser user, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var n = await Execute(c, tx, "UPDATE iam_users SET tags = $tags WHERE account_id = $a AND user_name = $n", cancellationToken,
                ("$a", user.AccountId), ("$n", user.UserName), ("$tags", TagsJson(user.Tags)));
            return (n == 0 ? WriteStatus.NotFound : WriteStatus.Ok, n > 0);
        }, cancellationToken);

    public async Task<IReadOnlyList<IamUser>> ListUsersAsync(string accountId, string? pathPrefix, CancellationToken cancellationToken) =>
        await ReadAsync($"SELECT {UserColumns} FROM iam_users WHERE account_id = $a AND path LIKE $p ORDER BY user_name", MapUser, cancellationToken,
            ("$a", accountId), ("$p", (pathPrefix ?? "/") + "%"));

    public Task<WriteStatus> DeleteUserAsync(string accountId, string userName, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var user = (await Query(c, tx, $"SELECT {UserColumns} FROM iam_users WHERE account_id = $a AND user_name = $n", MapUser, cancellationToken,
                ("$a", accountId), ("$n", userName))).FirstOrDefault();
            if (user is null)
            {
                return (WriteStatus.NotFound, false);
            }

            var keys = await Scalar(c, tx, "SELECT 1 FROM access_keys WHERE account_id = $a AND principal_arn = $arn AND expires_at IS NULL", cancellationToken,
                ("$a", accountId), ("$arn", user.Arn));
            var inline = await Scalar(c, tx, "SELECT 1 FROM iam_inline_policies WHERE account_id = $a AND principal_type = 'user' AND principal_name = $n",
                cancellationToken, ("$a", accountId), ("$n", userName));
            var attached = await Scalar(c, tx, "SELECT 1 FROM iam_attachments WHERE account_id = $a AND principal_type = 'user' AND principal_name = $n",
                cancellationToken, ("$a", accountId), ("$n", userName));
            if (keys is not null || inline is not null || attached is not null)
            {
                return (WriteStatus.Refused, false);
            }

            await Execute(c, tx, "DELETE FROM iam_users WHERE account_id = $a AND user_name = $n", cancellationToken, ("$a", accountId), ("$n", userName));
            return (WriteStatus.Ok, true);
        }, cancellationToken);

    private const string RoleColumns = "account_id, role_name, role_id, path, assume_role_policy, max_session_duration, description, created_at, tags";

    private static IamRole MapRole(SqliteDataReader r) => new()
    {
        AccountId = r.GetString(0),
        RoleName = r.GetString(1),
        RoleId = r.GetString(2),
        Path = r.GetString(3),
        AssumeRolePolicyDocument = r.GetString(4),
        MaxSessionDuration = r.GetInt32(5),
        Description = r.IsDBNull(6) ? null : r.GetString(6),
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)),
        Tags = ParseTags(r.GetString(8)),
    };

    public Task<WriteStatus> CreateRoleAsync(IamRole role, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            if (await Scalar(c, tx, "SELECT 1 FROM iam_roles WHERE account_id = $a AND role_name = $n", cancellationToken,
                    ("$a", role.AccountId), ("$n", role.RoleName)) is not null)
            {
                return (WriteStatus.AlreadyExists, false);
            }

            await Execute(c, tx, $"INSERT INTO iam_roles ({RoleColumns}) VALUES ($a, $n, $id, $p, $doc, $max, $d, $t, $tags)", cancellationToken,
                ("$a", role.AccountId), ("$n", role.RoleName), ("$id", role.RoleId), ("$p", role.Path), ("$doc", role.AssumeRolePolicyDocument),
                ("$max", role.MaxSessionDuration), ("$d", role.Description), ("$t", role.CreatedAt.ToUnixTimeMilliseconds()), ("$tags", TagsJson(role.Tags)));
            return (WriteStatus.Ok, true);
        }, cancellationToken);

    public Task<IamRole?> GetRoleAsync(string accountId, string roleName, CancellationToken cancellationToken) =>
        ReadOneAsync($"SELECT {RoleColumns} FROM iam_roles WHERE account_id = $a AND role_name = $n", MapRole, cancellationToken,
            ("$a", accountId), ("$n", roleName));

    public async Task<IReadOnlyList<IamRole>> ListRolesAsync(string accountId, string? pathPrefix, CancellationToken cancellationToken) =>
        await ReadAsync($"SELECT {RoleColumns} FROM iam_roles WHERE account_id = $a AND path LIKE $p ORDER BY role_name", MapRole, cancellationToken,
            ("$a", accountId), ("$p", (pathPrefix ?? "/") + "%"));

    public Task<WriteStatus> UpdateRoleAsync(IamRole role, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var n = await Execute(c, tx,
                "UPDATE iam_roles SET assume_role_policy = $doc, max_session_duration = $max, description = $d, tags = $tags WHERE account_id = $a AND role_name = $n",
                cancellationToken, ("$a", role.AccountId), ("$n", role.RoleName), ("$doc", role.AssumeRolePolicyDocument), ("$max", role.MaxSessionDuration),
                ("$d", role.Description), ("$tags", TagsJson(role.Tags)));
            return (n == 0 ? WriteStatus.NotFound : WriteStatus.Ok, n > 0);
        }, cancellationToken);

    public Task<WriteStatus> DeleteRoleAsync(string accountId, string roleName, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            if (await Scalar(c, tx, "SELECT 1 FROM iam_roles WHERE account_id = $a AND role_name = $n", cancellationToken,
                    ("$a", accountId), ("$n", roleName)) is null)
            {
                return (WriteStatus.NotFound, false);
            }

            var inline = await Scalar(c, tx, "SELECT 1 FROM iam_inline_policies WHERE account_id = $a AND principal_type = 'role' AND principal_name = $n",
                cancellationToken, ("$a", accountId), ("$n", roleName));
            var attached = await Scalar(c, tx, "SELECT 1 FROM iam_attachments WHERE account_id = $a AND principal_type = 'role' AND principal_name = $n",
                cancellationToken, ("$a", accountId), ("$n", roleName));
            if (inline is not null || attached is not null)
            {
                return (WriteStatus.Refused, false);
            }

            await Execute(c, tx, "DELETE FROM iam_roles WHERE account_id = $a AND role_name = $n", cancellationToken, ("$a", accountId), ("$n", roleName));
            return (WriteStatus.Ok, true);
        }, cancellationToken);

    private const string PolicyColumns = "account_id, arn, policy_name, policy_id, path, description, document, default_version_id, created_at, updated_at";

    private static ManagedPolicy MapPolicy(SqliteDataReader r) => new()
    {
        AccountId = r.GetString(0),
        PolicyName = r.GetString(2),
        PolicyId = r.GetString(3),
        Path = r.GetString(4),
        Description = r.IsDBNull(5) ? null : r.GetString(5),
        Document = r.GetString(6),
        DefaultVersionId = r.GetString(7),
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(8)),
        UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(9)),
    };

    public Task<WriteStatus> CreatePolicyAsync(ManagedPolicy policy, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            if (await Scalar(c, tx, "SELECT 1 FROM iam_policies WHERE account_id = $a AND arn = $arn", cancellationToken,
                    ("$a", policy.AccountId), ("$arn", policy.Arn)) is not null)
            {
                return (WriteStatus.AlreadyExists, false);
            }

            await Execute(c, tx, $"INSERT INTO iam_policies ({PolicyColumns}) VALUES ($a, $arn, $n, $id, $p, $d, $doc, $v, $c, $u)", cancellationToken,
                ("$a", policy.AccountId), ("$arn", policy.Arn), ("$n", policy.PolicyName), ("$id", policy.PolicyId), ("$p", policy.Path),
                ("$d", policy.Description), ("$doc", policy.Document), ("$v", policy.DefaultVersionId), ("$c", policy.CreatedAt.ToUnixTimeMilliseconds()),
                ("$u", policy.UpdatedAt.ToUnixTimeMilliseconds()));
            return (WriteStatus.Ok, true);
        }, cancellationToken);

    public Task<ManagedPolicy?> GetPolicyAsync(string accountId, string policyArn, CancellationToken cancellationToken) =>
        ReadOneAsync($"SELECT {PolicyColumns} FROM iam_policies WHERE account_id = $a AND arn = $arn", MapPolicy, cancellationToken,
            ("$a", accountId), ("$arn", policyArn));

    public async Task<IReadOnlyList<ManagedPolicy>> ListPoliciesAsync(string accountId, CancellationToken cancellationToken) =>
        await ReadAsync($"SELECT {PolicyColumns} FROM iam_policies WHERE account_id = $a ORDER BY policy_name", MapPolicy, cancellationToken, ("$a", accountId));

    public Task<WriteStatus> UpdatePolicyAsync(ManagedPolicy policy, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var n = await Execute(c, tx,
                "UPDATE iam_policies SET document = $doc, default_version_id = $v, description = $d, updated_at = $u WHERE account_id = $a AND arn = $arn",
                cancellationToken, ("$a", policy.AccountId), ("$arn", policy.Arn), ("$doc", policy.Document), ("$v", policy.DefaultVersionId),
                ("$d", policy.Description), ("$u", policy.UpdatedAt.ToUnixTimeMilliseconds()));
            return (n == 0 ? WriteStatus.NotFound : WriteStatus.Ok, n > 0);
        }, cancellationToken);

    public Task<WriteStatus> DeletePolicyAsync(string accountId, string policyArn, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            if (await Scalar(c, tx, "SELECT 1 FROM iam_policies WHERE account_id = $a AND arn = $arn", cancellationToken,
                    ("$a", accountId), ("$arn", policyArn)) is null)
            {
                return (WriteStatus.NotFound, false);
            }

            if (await Scalar(c, tx, "SELECT 1 FROM iam_attachments WHERE account_id = $a AND policy_arn = $arn", cancellationToken,
                    ("$a", accountId), ("$arn", policyArn)) is not null)
            {
                return (WriteStatus.Refused, false);
            }

            await Execute(c, tx, "DELETE FROM iam_policies WHERE account_id = $a AND arn = $arn", cancellationToken, ("$a", accountId), ("$arn", policyArn));
            return (WriteStatus.Ok, true);
        }, cancellationToken);

    public async Task<int> PolicyAttachmentCountAsync(string accountId, string policyArn, CancellationToken cancellationToken) =>
        (int)(await ReadAsync("SELECT COUNT(*) FROM iam_attachments WHERE account_id = $a AND policy_arn = $arn", r => r.GetInt64(0), cancellationToken,
            ("$a", accountId), ("$arn", policyArn)))[0];

    public Task<WriteStatus> PutInlinePolicyAsync(InlinePolicy policy, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            await Execute(c, tx,
                "INSERT INTO iam_inline_policies (account_id, principal_type, principal_name, policy_name, document) VALUES ($a, $t, $p, $n, $doc) " +
                "ON CONFLICT (account_id, principal_type, principal_name, policy_name) DO UPDATE SET document = excluded.document",
                cancellationToken, ("$a", policy.AccountId), ("$t", Type(policy.PrincipalType)), ("$p", policy.PrincipalName), ("$n", policy.PolicyName),
                ("$doc", policy.Document));
            return (WriteStatus.Ok, true);
        }, cancellationToken);

    public Task<InlinePolicy?> GetInlinePolicyAsync(string accountId, IamPrincipalType type, string principalName, string policyName,
        CancellationToken cancellationToken) =>
        ReadOneAsync(
            "SELECT document FROM iam_inline_policies WHERE account_id = $a AND principal_type = $t AND principal_name = $p AND policy_name = $n",
            r => new InlinePolicy(accountId, type, principalName, policyName, r.GetString(0)), cancellationToken,
            ("$a", accountId), ("$t", Type(type)), ("$p", principalName), ("$n", policyName));

    public async Task<IReadOnlyList<string>> ListInlinePolicyNamesAsync(string accountId, IamPrincipalType type, string principalName,
        CancellationToken cancellationToken) =>
        await ReadAsync("SELECT policy_name FROM iam_inline_policies WHERE account_id = $a AND principal_type = $t AND principal_name = $p ORDER BY policy_name",
            r => r.GetString(0), cancellationToken, ("$a", accountId), ("$t", Type(type)), ("$p", principalName));

    public Task<WriteStatus> DeleteInlinePolicyAsync(string accountId, IamPrincipalType type, string principalName, string policyName,
        CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var n = await Execute(c, tx,
                "DELETE FROM iam_inline_policies WHERE account_id = $a AND principal_type = $t AND principal_name = $p AND policy_name = $n",
                cancellationToken, ("$a", accountId), ("$t", Type(type)), ("$p", principalName), ("$n", policyName));
            return (n == 0 ? WriteStatus.NotFound : WriteStatus.Ok, n > 0);
        }, cancellationToken);

    public Task<WriteStatus> AttachPolicyAsync(string accountId, IamPrincipalType type, string principalName, string policyArn,
        CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            await Execute(c, tx,
                "INSERT INTO iam_attachments (account_id, principal_type, principal_name, policy_arn) VALUES ($a, $t, $p, $arn) ON CONFLICT DO NOTHING",
                cancellationToken, ("$a", accountId), ("$t", Type(type)), ("$p", principalName), ("$arn", policyArn));
            return (WriteStatus.Ok, true);
        }, cancellationToken);

    public Task<WriteStatus> DetachPolicyAsync(string accountId, IamPrincipalType type, string principalName, string policyArn,
        CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            var n = await Execute(c, tx,
                "DELETE FROM iam_attachments WHERE account_id = $a AND principal_type = $t AND principal_name = $p AND policy_arn = $arn",
                cancellationToken, ("$a", accountId), ("$t", Type(type)), ("$p", principalName), ("$arn", policyArn));
            return (n == 0 ? WriteStatus.NotFound : WriteStatus.Ok, n > 0);
        }, cancellationToken);

    public async Task<IReadOnlyList<string>> ListAttachedPolicyArnsAsync(string accountId, IamPrincipalType type, string principalName,
        CancellationToken cancellationToken) =>
        await ReadAsync("SELECT policy_arn FROM iam_attachments WHERE account_id = $a AND principal_type = $t AND principal_name = $p ORDER BY policy_arn",
            r => r.GetString(0), cancellationToken, ("$a", accountId), ("$t", Type(type)), ("$p", principalName));

    public async Task<PrincipalPolicies> GetPrincipalPoliciesAsync(string accountId, IamPrincipalType type, string principalName,
        CancellationToken cancellationToken)
    {
        var inline = await ReadAsync(
            "SELECT document FROM iam_inline_policies WHERE account_id = $a AND principal_type = $t AND principal_name = $p",
            r => r.GetString(0), cancellationToken, ("$a", accountId), ("$t", Type(type)), ("$p", principalName));
        var attached = await ReadAsync(
            "SELECT policy_arn FROM iam_attachments WHERE account_id = $a AND principal_type = $t AND principal_name = $p",
            r => r.GetString(0), cancellationToken, ("$a", accountId), ("$t", Type(type)), ("$p", principalName));
        return new PrincipalPolicies(inline, attached);
    }

    public Task<ResourcePolicy?> GetFunctionPolicyAsync(string accountId, string functionName, string qualifier, CancellationToken cancellationToken) =>
        ReadOneAsync("SELECT document, revision_id FROM function_policies WHERE account_id = $a AND function_name = $f AND qualifier = $q",
            r => new ResourcePolicy(r.GetString(0), r.GetString(1)), cancellationToken, ("$a", accountId), ("$f", functionName), ("$q", qualifier));

    public Task<WriteStatus> PutFunctionPolicyAsync(string accountId, string functionName, string qualifier, ResourcePolicy? policy,
        string? expectedRevisionId, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            if (await Scalar(c, tx, "SELECT 1 FROM functions WHERE account_id = $a AND name = $f", cancellationToken,
                    ("$a", accountId), ("$f", functionName)) is null)
            {
                return (WriteStatus.NotFound, false);
            }

            var current = await Scalar(c, tx, "SELECT revision_id FROM function_policies WHERE account_id = $a AND function_name = $f AND qualifier = $q",
                cancellationToken, ("$a", accountId), ("$f", functionName), ("$q", qualifier)) as string;
            if (expectedRevisionId is not null && expectedRevisionId != (current ?? ""))
            {
                return (WriteStatus.RevisionMismatch, false);
            }

            if (policy is null)
            {
                await Execute(c, tx, "DELETE FROM function_policies WHERE account_id = $a AND function_name = $f AND qualifier = $q", cancellationToken,
                    ("$a", accountId), ("$f", functionName), ("$q", qualifier));
            }
            else
            {
                await Execute(c, tx,
                    "INSERT INTO function_policies (account_id, function_name, qualifier, document, revision_id) VALUES ($a, $f, $q, $d, $r) " +
                    "ON CONFLICT (account_id, function_name, qualifier) DO UPDATE SET document = excluded.document, revision_id = excluded.revision_id",
                    cancellationToken, ("$a", accountId), ("$f", functionName), ("$q", qualifier), ("$d", policy.Document), ("$r", policy.RevisionId));
            }

            return (WriteStatus.Ok, true);
        }, cancellationToken);

    public Task<ResourcePolicy?> GetLayerVersionPolicyAsync(string accountId, string layerName, long version, CancellationToken cancellationToken) =>
        ReadOneAsync("SELECT document, revision_id FROM layer_version_policies WHERE account_id = $a AND layer_name = $l AND version = $v",
            r => new ResourcePolicy(r.GetString(0), r.GetString(1)), cancellationToken, ("$a", accountId), ("$l", layerName), ("$v", version));

    public Task<WriteStatus> PutLayerVersionPolicyAsync(string accountId, string layerName, long version, ResourcePolicy? policy,
        string? expectedRevisionId, CancellationToken cancellationToken) =>
        WriteAsync(async (c, tx) =>
        {
            if (await Scalar(c, tx, "SELECT 1 FROM layer_versions WHERE account_id = $a AND layer_name = $l AND version = $v", cancellationToken,
                    ("$a", accountId), ("$l", layerName), ("$v", version)) is null)
            {
                return (WriteStatus.NotFound, false);
            }

            var current = await Scalar(c, tx, "SELECT revision_id FROM layer_version_policies WHERE account_id = $a AND layer_name = $l AND version = $v",
                cancellationToken, ("$a", accountId), ("$l", layerName), ("$v", version)) as string;
            if (expectedRevisionId is not null && expectedRevisionId != (current ?? ""))
            {
                return (WriteStatus.RevisionMismatch, false);
            }

            if (policy is null)
            {
                await Execute(c, tx, "DELETE FROM layer_version_policies WHERE account_id = $a AND layer_name = $l AND version = $v", cancellationToken,
                    ("$a", accountId), ("$l", layerName), ("$v", version));
            }
            else
            {
                await Execute(c, tx,
                    "INSERT INTO layer_version_policies (account_id, layer_name, version, document, revision_id) VALUES ($a, $l, $v, $d, $r) " +
                    "ON CONFLICT (account_id, layer_name, version) DO UPDATE SET document = excluded.document, revision_id = excluded.revision_id",
                    cancellationToken, ("$a", accountId), ("$l", layerName), ("$v", version), ("$d", policy.Document), ("$r", policy.RevisionId));
            }

            return (WriteStatus.Ok, true);
        }, cancellationToken);
}
