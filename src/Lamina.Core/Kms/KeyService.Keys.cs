using Lamina.Core.Auth;
using Lamina.Core.Errors;
using Lamina.Core.Iam;
using Lamina.Core.Storage;

namespace Lamina.Core.Kms;

/// <summary>What CreateKey asks for, after model validation.</summary>
internal sealed record CreateKeyInput
{
    public string? Policy { get; init; }
    public string? Description { get; init; }
    public bool BypassPolicyLockoutSafetyCheck { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> Tags { get; init; } = [];
}

internal sealed partial class KeyService
{
    /// <summary>Deletion waits 7 to 30 days (KMS's range; the model's 1-365 is wider than the service allows).</summary>
    public const int MinPendingDays = 7;

    public const int MaxPendingDays = 30;

    /// <summary>KMS's quota of tags per key.</summary>
    public const int MaxTags = 50;

    /// <summary>A write that lost a race with another writer re-reads the key and tries again, this many times.</summary>
    private const int RaceRetries = 8;

    public async Task<Outcome<KmsKey>> CreateKeyAsync(KmsCaller caller, CreateKeyInput input, CancellationToken cancellationToken)
    {
        var account = caller.Identity.AccountId;
        if (await authorizer.AuthorizeAsync(caller.Identity, new AuthorizationRequest("kms:CreateKey", "*", account) { Context = caller.Context },
                cancellationToken) is { } denied)
        {
            return KmsErrors.AccessDenied(denied);
        }

        if (CheckTags(input.Tags, []) is { } tagError)
        {
            return tagError;
        }

        var keyId = Guid.NewGuid().ToString();
        var key = new KmsKey
        {
            AccountId = account,
            KeyId = keyId,
            CreatedAt = time.GetUtcNow(),
            Description = input.Description ?? "",
            Policy = input.Policy ?? KeyPolicies.Default(account),
            Tags = input.Tags,
            SealedMaterial = SealMaterial(account, keyId),
        };
        if (input.Policy is not null && await CheckPolicyAsync(caller, key, input.Policy, input.BypassPolicyLockoutSafetyCheck, cancellationToken) is { } policyError)
        {
            return policyError;
        }

        return await Keys.CreateKeyAsync(key, cancellationToken) == WriteStatus.Ok
            ? key
            : new AwsError(500, "KMSInternalException", "The key could not be stored.");
    }

    /// <summary>
    /// DescribeKey. Like KMS, describing the predefined alias <c>alias/aws/lambda</c> creates the account's AWS
    /// managed key when it does not exist yet.
    /// </summary>
    public async Task<Outcome<KmsKey>> DescribeKeyAsync(KmsCaller caller, string keyId, CancellationToken cancellationToken)
    {
        if (keyId == LambdaAlias || keyId == KmsArns.Alias(options.Region, caller.Identity.AccountId, LambdaAlias))
        {
            var created = await LambdaDefaultKeyAsync(caller.Identity.AccountId, cancellationToken);
            if (!created.IsSuccess)
            {
                return created.Error;
            }
        }

        var resolved = await ResolveAsync(caller.Identity.AccountId, keyId, cancellationToken);
        if (!resolved.TryGetValue(out var key, out var error))
        {
            return error;
        }

        return await AuthorizeAsync(caller, key, "kms:DescribeKey", null, cancellationToken) is { } denied ? denied : key;
    }

    public async Task<Outcome<(IReadOnlyList<KmsKey> Keys, string? NextMarker)>> ListKeysAsync(KmsCaller caller, int? limit, string? marker,
        CancellationToken cancellationToken)
    {
        var account = caller.Identity.AccountId;
        if (await authorizer.AuthorizeAsync(caller.Identity, new AuthorizationRequest("kms:ListKeys", "*", account) { Context = caller.Context },
                cancellationToken) is { } denied)
        {
            return KmsErrors.AccessDenied(denied);
        }

        if (marker is not null && !KeyIdRegex().IsMatch(marker))
        {
            return KmsErrors.InvalidMarker();
        }

        var size = limit ?? 100;
        var page = await Keys.ListKeysAsync(account, marker, size + 1, cancellationToken);
        var now = time.GetUtcNow();
        var live = page.Take(size).Where(k => k is not { State: KeyStates.PendingDeletion, DeletionDate: { } due } || due > now).ToList();
        return (live, page.Count > size ? page[size - 1].KeyId : null);
    }

    public Task<AwsError?> EnableKeyAsync(KmsCaller caller, string keyId, CancellationToken cancellationToken) =>
        ErrorOf(ChangeAsync(caller, keyId, "kms:EnableKey", key => key.State switch
        {
            KeyStates.PendingDeletion => KmsErrors.PendingDeletion(ArnOf(key)),
            _ => key with { State = KeyStates.Enabled },
        }, cancellationToken));

    public Task<AwsError?> DisableKeyAsync(KmsCaller caller, string keyId, CancellationToken cancellationToken) =>
        ErrorOf(ChangeAsync(caller, keyId, "kms:DisableKey", key => key.State switch
        {
            KeyStates.PendingDeletion => KmsErrors.PendingDeletion(ArnOf(key)),
            _ => key with { State = KeyStates.Disabled },
        }, cancellationToken));

    /// <summary>ScheduleKeyDeletion: the key is unusable from now on and goes away after the waiting period.</summary>
    public Task<Outcome<KmsKey>> ScheduleDeletionAsync(KmsCaller caller, string keyId, int days, CancellationToken cancellationToken) =>
        ChangeAsync(caller, keyId, "kms:ScheduleKeyDeletion", key => key.State switch
        {
            KeyStates.PendingDeletion => KmsErrors.PendingDeletion(ArnOf(key)),
            _ => key with { State = KeyStates.PendingDeletion, DeletionDate = time.GetUtcNow().AddDays(days) },
        }, cancellationToken);

    /// <summary>CancelKeyDeletion: as in KMS, the key comes back disabled.</summary>
    public Task<Outcome<KmsKey>> CancelDeletionAsync(KmsCaller caller, string keyId, CancellationToken cancellationToken) =>
        ChangeAsync(caller, keyId, "kms:CancelKeyDeletion", key => key.State switch
        {
            KeyStates.PendingDeletion => key with { State = KeyStates.Disabled, DeletionDate = null },
            _ => KmsErrors.InvalidState($"{ArnOf(key)} is not pending deletion."),
        }, cancellationToken);

    public async Task<Outcome<string>> GetKeyPolicyAsync(KmsCaller caller, string keyId, string? policyName, CancellationToken cancellationToken)
    {
        var resolved = await ResolveAsync(caller.Identity.AccountId, keyId, cancellationToken);
        if (!resolved.TryGetValue(out var key, out var error))
        {
            return error;
        }

        if (await AuthorizeAsync(caller, key, "kms:GetKeyPolicy", null, cancellationToken) is { } denied)
        {
            return denied;
        }

        return policyName is null or "default" ? key.Policy : KmsErrors.Validation("PolicyName must be 'default'.");
    }

    public async Task<AwsError?> PutKeyPolicyAsync(KmsCaller caller, string keyId, string? policyName, string policy, bool bypassLockoutCheck,
        CancellationToken cancellationToken)
    {
        if (policyName is not null and not "default")
        {
            return KmsErrors.Validation("PolicyName must be 'default'.");
        }

        return await ErrorOf(ChangeAsync(caller, keyId, "kms:PutKeyPolicy", key => key with { Policy = policy }, cancellationToken,
            (key, changed) => CheckPolicyAsync(caller, key, changed.Policy, bypassLockoutCheck, cancellationToken)));
    }

    public async Task<Outcome<KmsKey>> ListTagsAsync(KmsCaller caller, string keyId, CancellationToken cancellationToken)
    {
        var resolved = await ResolveAsync(caller.Identity.AccountId, keyId, cancellationToken);
        if (!resolved.TryGetValue(out var key, out var error))
        {
            return error;
        }

        return await AuthorizeAsync(caller, key, "kms:ListResourceTags", null, cancellationToken) is { } denied ? denied : key;
    }

    /// <summary>TagResource: a tag key given again replaces its value, in place.</summary>
    public Task<AwsError?> TagAsync(KmsCaller caller, string keyId, IReadOnlyList<KeyValuePair<string, string>> tags, CancellationToken cancellationToken) =>
        ErrorOf(ChangeAsync(caller, keyId, "kms:TagResource", key =>
        {
            if (key.State == KeyStates.PendingDeletion)
            {
                return KmsErrors.PendingDeletion(ArnOf(key));
            }

            if (CheckTags(tags, key.Tags) is { } tagError)
            {
                return tagError;
            }

            var merged = key.Tags.ToList();
            foreach (var tag in tags)
            {
                var at = merged.FindIndex(t => t.Key == tag.Key);
                if (at >= 0)
                {
                    merged[at] = tag;
                }
                else
                {
                    merged.Add(tag);
                }
            }

            return key with { Tags = merged };
        }, cancellationToken));

    public Task<AwsError?> UntagAsync(KmsCaller caller, string keyId, IReadOnlyCollection<string> tagKeys, CancellationToken cancellationToken) =>
        ErrorOf(ChangeAsync(caller, keyId, "kms:UntagResource", key => key.State == KeyStates.PendingDeletion
            ? KmsErrors.PendingDeletion(ArnOf(key))
            : key with { Tags = key.Tags.Where(t => !tagKeys.Contains(t.Key)).ToList() }, cancellationToken));

    private static AwsError? CheckTags(IReadOnlyList<KeyValuePair<string, string>> tags, IReadOnlyList<KeyValuePair<string, string>> existing)
    {
        if (tags.Any(t => t.Key.StartsWith("aws:", StringComparison.Ordinal)))
        {
            return KmsErrors.Tag("Tag keys beginning with 'aws:' are reserved for AWS use.");
        }

        var keys = existing.Select(t => t.Key).Concat(tags.Select(t => t.Key)).Distinct(StringComparer.Ordinal).Count();
        return keys > MaxTags ? KmsErrors.LimitExceeded($"A key can have at most {MaxTags} tags.") : null;
    }

    /// <summary>
    /// A key policy must parse, and (unless the caller bypasses the check, as KMS allows) must still let the
    /// caller change the key policy: KMS's lockout safety check.
    /// </summary>
    private async Task<AwsError?> CheckPolicyAsync(KmsCaller caller, KmsKey key, string policy, bool bypass, CancellationToken cancellationToken)
    {
        if (!PolicyDocument.TryParse(policy, out _, out var parseError))
        {
            return KmsErrors.MalformedPolicy(parseError ?? "Syntax errors in policy.");
        }

        if (bypass)
        {
            return null;
        }

        var decision = await DecideAsync(caller, key with { Policy = policy }, "kms:PutKeyPolicy", null, cancellationToken);
        return decision.Allowed ? null : KmsErrors.LockoutRisk();
    }

    /// <summary>
    /// Resolves and authorizes a key, applies <paramref name="change"/> (an error refuses it) and writes the result
    /// if the key was not changed meanwhile, re-reading and re-applying after a lost race.
    /// </summary>
    private async Task<Outcome<KmsKey>> ChangeAsync(KmsCaller caller, string keyId, string action, Func<KmsKey, Outcome<KmsKey>> change,
        CancellationToken cancellationToken, Func<KmsKey, KmsKey, Task<AwsError?>>? check = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var resolved = await ResolveAsync(caller.Identity.AccountId, keyId, cancellationToken);
            if (!resolved.TryGetValue(out var key, out var error))
            {
                return error;
            }

            if (await AuthorizeAsync(caller, key, action, null, cancellationToken) is { } denied)
            {
                return denied;
            }

            if (!change(key).TryGetValue(out var changed, out var refused))
            {
                return refused;
            }

            if (check is not null && await check(key, changed) is { } checkError)
            {
                return checkError;
            }

            changed = changed with { Revision = key.Revision + 1 };
            switch (await Keys.UpdateKeyAsync(changed, key.Revision, cancellationToken))
            {
                case WriteStatus.Ok:
                    return changed;
                case WriteStatus.RevisionMismatch when attempt < RaceRetries:
                    continue;
                case WriteStatus.NotFound:
                    return KmsErrors.KeyNotFound(ArnOf(key));
                default:
                    return new AwsError(500, "KMSInternalException", "The key is being changed by another request; try again.");
            }
        }
    }

    private static async Task<AwsError?> ErrorOf(Task<Outcome<KmsKey>> outcome) => (await outcome).Error;
}
