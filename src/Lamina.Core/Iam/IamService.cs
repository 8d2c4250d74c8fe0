using Lamina.Core.Accounts;
using Lamina.Core.Auth;
using Lamina.Core.Crypto;
using Lamina.Core.Errors;
using Lamina.Core.Storage;

namespace Lamina.Core.Iam;

/// <summary>Who owns long-term access keys: an IAM user, or the account's root user (<see cref="UserName"/> null).</summary>
internal sealed record KeyOwner(string AccountId, string Arn, string PrincipalId, PrincipalKind Kind, string? UserName);

/// <summary>A new long-term key with its secret, which is shown this once and never again.</summary>
internal sealed record IssuedAccessKey(AccessKeyRecord Key, string SecretAccessKey, string? UserName);

/// <summary>
/// The IAM control plane of one account at a time: users and their access keys, roles, inline and
/// managed policies, attachments and tags. Every method takes the caller's account and only ever
/// reads or changes that account (ARNs naming another account are simply not found).
/// </summary>
/// <remarks>
/// Handlers validate members against the model and authorize the action first; this class then applies
/// IAM's own rules (existence, conflicts, quotas, policy grammar). After any change to policies or
/// attachments the authorizer's cache is dropped, and after a key is deactivated or deleted the
/// authenticator's, so the change governs the very next request in this process.
/// </remarks>
internal sealed partial class IamService(IStore store, PolicyAuthorizer authorizer, Authenticator authenticator, Envelope envelope, TimeProvider time)
{
    public async Task<Outcome<IamUser>> CreateUserAsync(string accountId, string userName, string path, IReadOnlyDictionary<string, string> tags,
        CancellationToken cancellationToken)
    {
        var user = new IamUser
        {
            AccountId = accountId,
            UserName = userName,
            UserId = IamIds.New(IamIds.UserPrefix),
            Path = path,
            CreatedAt = Now(),
            Tags = tags,
        };
        return await store.Iam.CreateUserAsync(user, cancellationToken) switch
        {
            WriteStatus.Ok => user,
            WriteStatus.AlreadyExists => IamErrors.EntityAlreadyExists($"User with name {userName} already exists."),
            var status => throw Unexpected(status),
        };
    }

    public async Task<Outcome<IamUser>> GetUserAsync(string accountId, string userName, CancellationToken cancellationToken) =>
        await store.Iam.GetUserAsync(accountId, userName, cancellationToken) is { } user ? user : IamErrors.UserNotFound(userName);

    public Task<IReadOnlyList<IamUser>> ListUsersAsync(string accountId, string? pathPrefix, CancellationToken cancellationToken) =>
        store.Iam.ListUsersAsync(accountId, pathPrefix, cancellationToken);

    /// <summary>The ARN a user action is authorized on: with the user's path when it exists, else under "/".</summary>
    public async Task<string> UserArnAsync(string accountId, string userName, CancellationToken cancellationToken) =>
        (await store.Iam.GetUserAsync(accountId, userName, cancellationToken))?.Arn ?? $"arn:aws:iam::{accountId}:user/{userName}";

    public async Task<AwsError?> DeleteUserAsync(string accountId, string userName, CancellationToken cancellationToken)
    {
        if (await store.Iam.GetUserAsync(accountId, userName, cancellationToken) is not { } user)
        {
            return IamErrors.UserNotFound(userName);
        }

        // Name the first obstacle as IAM does; the store re-checks all of them in its transaction.
        if ((await store.Accounts.ListAccessKeysAsync(accountId, user.Arn, cancellationToken)).Any(k => k.ExpiresAt is null))
        {
            return IamErrors.DeleteConflict("Cannot delete entity, must delete access keys first.");
        }

        if ((await store.Iam.ListInlinePolicyNamesAsync(accountId, IamPrincipalType.User, userName, cancellationToken)).Count > 0)
        {
            return IamErrors.DeleteConflict("Cannot delete entity, must delete policies first.");
        }

        if ((await store.Iam.ListAttachedPolicyArnsAsync(accountId, IamPrincipalType.User, userName, cancellationToken)).Count > 0)
        {
            return IamErrors.DeleteConflict("Cannot delete entity, must detach all policies first.");
        }

        return await store.Iam.DeleteUserAsync(accountId, userName, cancellationToken) switch
        {
            WriteStatus.Ok => null,
            WriteStatus.NotFound => IamErrors.UserNotFound(userName),
            WriteStatus.Refused => IamErrors.DeleteConflict("Cannot delete entity, must remove access keys and policies first."),
            var status => throw Unexpected(status),
        };
    }

    public async Task<AwsError?> TagUserAsync(string accountId, string userName, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
    {
        if (await store.Iam.GetUserAsync(accountId, userName, cancellationToken) is not { } user)
        {
            return IamErrors.UserNotFound(userName);
        }

        if (!TryMergeTags(user.Tags, tags, [], out var merged))
        {
            return IamErrors.Quota("TagsPerUser", IamConstraints.TagsPerEntity);
        }

        return await store.Iam.UpdateUserAsync(user with { Tags = merged }, cancellationToken) == WriteStatus.Ok ? null : IamErrors.UserNotFound(userName);
    }

    public async Task<AwsError?> UntagUserAsync(string accountId, string userName, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        if (await store.Iam.GetUserAsync(accountId, userName, cancellationToken) is not { } user)
        {
            return IamErrors.UserNotFound(userName);
        }

        TryMergeTags(user.Tags, new Dictionary<string, string>(), keys, out var merged);
        return await store.Iam.UpdateUserAsync(user with { Tags = merged }, cancellationToken) == WriteStatus.Ok ? null : IamErrors.UserNotFound(userName);
    }

    /// <summary>The owner of the keys of <paramref name="userName"/>.</summary>
    public async Task<Outcome<KeyOwner>> UserKeyOwnerAsync(string accountId, string userName, CancellationToken cancellationToken) =>
        await store.Iam.GetUserAsync(accountId, userName, cancellationToken) is { } user
            ? new KeyOwner(accountId, user.Arn, user.UserId, PrincipalKind.User, user.UserName)
            : IamErrors.UserNotFound(userName);

    public static KeyOwner RootKeyOwner(string accountId) => new(accountId, $"arn:aws:iam::{accountId}:root", accountId, PrincipalKind.Root, null);

    public async Task<Outcome<IssuedAccessKey>> CreateAccessKeyAsync(KeyOwner owner, CancellationToken cancellationToken)
    {
        var akid = SigV4Signer.NewAccessKeyId("AKIA");
        var secret = SigV4Signer.NewSecretAccessKey();
        var key = new AccessKeyRecord
        {
            AccessKeyId = akid,
            AccountId = owner.AccountId,
            Kind = owner.Kind,
            PrincipalArn = owner.Arn,
            PrincipalId = owner.PrincipalId,
            SealedSecret = envelope.Seal(secret, AccessKeyRecord.SecretContext(akid)),
            CreatedAt = Now(),
        };
        return await store.Accounts.CreateLongTermKeyAsync(key, owner.UserName, IamConstraints.AccessKeysPerUser, cancellationToken) switch
        {
            WriteStatus.Ok => new IssuedAccessKey(key, secret, owner.UserName),
            WriteStatus.NotFound => IamErrors.UserNotFound(owner.UserName ?? ""),
            WriteStatus.Refused => IamErrors.Quota("AccessKeysPerUser", IamConstraints.AccessKeysPerUser),
            var status => throw Unexpected(status),
        };
    }

    /// <summary>Long-term keys only: temporary (STS) keys of the same principal are not IAM access keys.</summary>
    public async Task<IReadOnlyList<AccessKeyRecord>> ListAccessKeysAsync(KeyOwner owner, CancellationToken cancellationToken) =>
        (await store.Accounts.ListAccessKeysAsync(owner.AccountId, owner.Arn, cancellationToken)).Where(k => k.ExpiresAt is null).ToList();

    public async Task<AwsError?> UpdateAccessKeyAsync(KeyOwner owner, string accessKeyId, string status, CancellationToken cancellationToken)
    {
        if (await OwnedKeyAsync(owner, accessKeyId, cancellationToken) is not { } key)
        {
            return IamErrors.AccessKeyNotFound(accessKeyId);
        }

        if (status != "Active" && key.Status == "Active" && await IsLastRootKeyAsync(owner, key, cancellationToken))
        {
            return IamErrors.InvalidInput(LastRootKeyMessage);
        }

        var result = await store.Accounts.SetAccessKeyStatusAsync(accessKeyId, status, cancellationToken);
        authenticator.Forget(accessKeyId);
        return result == WriteStatus.Ok ? null : IamErrors.AccessKeyNotFound(accessKeyId);
    }

    public async Task<AwsError?> DeleteAccessKeyAsync(KeyOwner owner, string accessKeyId, CancellationToken cancellationToken)
    {
        if (await OwnedKeyAsync(owner, accessKeyId, cancellationToken) is not { } key)
        {
            return IamErrors.AccessKeyNotFound(accessKeyId);
        }

        if (key.Status == "Active" && await IsLastRootKeyAsync(owner, key, cancellationToken))
        {
            return IamErrors.DeleteConflict(LastRootKeyMessage);
        }

        var result = await store.Accounts.DeleteAccessKeyAsync(accessKeyId, cancellationToken);
        authenticator.Forget(accessKeyId);
        return result == WriteStatus.Ok ? null : IamErrors.AccessKeyNotFound(accessKeyId);
    }

    /// <summary>
    /// Lamina keeps one active root key per account (a deviation from AWS, which lets the root user drop
    /// all of its keys): <c>lamina serve</c> writes it to the shared credentials file and admin verbs use it.
    /// </summary>
    private const string LastRootKeyMessage =
        "Lamina keeps at least one active access key for the root user; create another root key before removing this one.";

    private async Task<bool> IsLastRootKeyAsync(KeyOwner owner, AccessKeyRecord key, CancellationToken cancellationToken) =>
        owner.Kind == PrincipalKind.Root &&
        !(await ListAccessKeysAsync(owner, cancellationToken)).Any(k => k.Status == "Active" && k.AccessKeyId != key.AccessKeyId);

    /// <summary>The long-term key if it belongs to <paramref name="owner"/>; keys of other principals and accounts are "not found".</summary>
    private async Task<AccessKeyRecord?> OwnedKeyAsync(KeyOwner owner, string accessKeyId, CancellationToken cancellationToken) =>
        await store.Accounts.GetAccessKeyAsync(accessKeyId, cancellationToken) is { ExpiresAt: null } key &&
        key.AccountId == owner.AccountId && key.PrincipalArn == owner.Arn
            ? key
            : null;

    public async Task<IReadOnlyDictionary<string, int>> GetAccountSummaryAsync(string accountId, CancellationToken cancellationToken)
    {
        var users = await store.Iam.ListUsersAsync(accountId, null, cancellationToken);
        var roles = await store.Iam.ListRolesAsync(accountId, null, cancellationToken);
        var policies = await store.Iam.ListPoliciesAsync(accountId, cancellationToken);
        var rootKeys = await ListAccessKeysAsync(RootKeyOwner(accountId), cancellationToken);
        return new SortedDictionary<string, int>(StringComparer.Ordinal)
        {
            ["AccessKeysPerUserQuota"] = IamConstraints.AccessKeysPerUser,
            ["AccountAccessKeysPresent"] = rootKeys.Count > 0 ? 1 : 0,
            ["AttachedPoliciesPerRoleQuota"] = IamConstraints.ManagedPoliciesPerPrincipal,
            ["AttachedPoliciesPerUserQuota"] = IamConstraints.ManagedPoliciesPerPrincipal,
            ["PolicySizeQuota"] = IamConstraints.ManagedPolicySize,
            ["Policies"] = policies.Count,
            ["Roles"] = roles.Count,
            ["UserPolicySizeQuota"] = IamConstraints.UserInlinePolicySize,
            ["Users"] = users.Count,
        };
    }

    /// <summary>Applies tag changes; keys match case-insensitively, as IAM's do. False past the per-entity quota.</summary>
    private static bool TryMergeTags(IReadOnlyDictionary<string, string> current, IReadOnlyDictionary<string, string> set, IReadOnlyList<string> remove,
        out Dictionary<string, string> merged)
    {
        merged = new Dictionary<string, string>(current, StringComparer.OrdinalIgnoreCase);
        foreach (var key in remove)
        {
            merged.Remove(key);
        }

        foreach (var (key, value) in set)
        {
            merged.Remove(key);
            merged[key] = value;
        }

        merged = new Dictionary<string, string>(merged, StringComparer.Ordinal);
        return merged.Count <= IamConstraints.TagsPerEntity;
    }

    private DateTimeOffset Now() => time.GetUtcNow();

    private static InvalidOperationException Unexpected(WriteStatus status) => new($"Unexpected store status {status}.");
}
