using Lamina.Core.Auth;
using Lamina.Core.Errors;
using Lamina.Core.Storage;

namespace Lamina.Core.Kms;

/// <remarks>
/// Alias operations are authorized twice, as in KMS: on the alias ARN by the caller's IAM policies alone,
/// and on each key involved by its key policy.
/// </remarks>
internal sealed partial class KeyService
{
    public async Task<AwsError?> CreateAliasAsync(KmsCaller caller, string aliasName, string targetKeyId, CancellationToken cancellationToken)
    {
        var account = caller.Identity.AccountId;
        if ((CheckAliasName(aliasName) ?? CheckTarget(targetKeyId)) is { } invalid)
        {
            return invalid;
        }

        var target = await AliasTargetAsync(caller, targetKeyId, "kms:CreateAlias", cancellationToken);
        if (!target.TryGetValue(out var key, out var error))
        {
            return error;
        }

        var aliasArn = KmsArns.Alias(options.Region, account, aliasName);
        if (await AuthorizeAliasAsync(caller, aliasArn, "kms:CreateAlias", cancellationToken) is { } denied)
        {
            return denied;
        }

        var now = time.GetUtcNow();
        return await Keys.CreateAliasAsync(new KmsAlias { AccountId = account, AliasName = aliasName, TargetKeyId = key.KeyId, CreatedAt = now, UpdatedAt = now },
                cancellationToken) switch
        {
            WriteStatus.Ok => null,
            WriteStatus.AlreadyExists => KmsErrors.AlreadyExists(aliasArn),
            _ => KmsErrors.KeyNotFound(ArnOf(key)),
        };
    }

    public async Task<AwsError?> UpdateAliasAsync(KmsCaller caller, string aliasName, string targetKeyId, CancellationToken cancellationToken)
    {
        var account = caller.Identity.AccountId;
        if ((CheckAliasName(aliasName) ?? CheckTarget(targetKeyId)) is { } invalid)
        {
            return invalid;
        }

        var aliasArn = KmsArns.Alias(options.Region, account, aliasName);
        var alias = await Keys.GetAliasAsync(account, aliasName, cancellationToken);
        if (alias is null)
        {
            return KmsErrors.AliasNotFound(aliasArn);
        }

        var current = await CurrentTargetAsync(caller, alias, "kms:UpdateAlias", cancellationToken);
        if (current is not null)
        {
            return current;
        }

        var target = await AliasTargetAsync(caller, targetKeyId, "kms:UpdateAlias", cancellationToken);
        if (!target.TryGetValue(out var key, out var error))
        {
            return error;
        }

        if (await AuthorizeAliasAsync(caller, aliasArn, "kms:UpdateAlias", cancellationToken) is { } denied)
        {
            return denied;
        }

        return await Keys.UpdateAliasAsync(account, aliasName, key.KeyId, time.GetUtcNow(), cancellationToken) == WriteStatus.Ok
            ? null
            : KmsErrors.AliasNotFound(aliasArn);
    }

    public async Task<AwsError?> DeleteAliasAsync(KmsCaller caller, string aliasName, CancellationToken cancellationToken)
    {
        var account = caller.Identity.AccountId;
        if (CheckAliasName(aliasName) is { } invalid)
        {
            return invalid;
        }

        var aliasArn = KmsArns.Alias(options.Region, account, aliasName);
        var alias = await Keys.GetAliasAsync(account, aliasName, cancellationToken);
        if (alias is null)
        {
            return KmsErrors.AliasNotFound(aliasArn);
        }

        var refused = await CurrentTargetAsync(caller, alias, "kms:DeleteAlias", cancellationToken)
                      ?? await AuthorizeAliasAsync(caller, aliasArn, "kms:DeleteAlias", cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        return await Keys.DeleteAliasAsync(account, aliasName, cancellationToken) == WriteStatus.Ok ? null : KmsErrors.AliasNotFound(aliasArn);
    }

    public async Task<Outcome<(IReadOnlyList<KmsAlias> Aliases, string? NextMarker)>> ListAliasesAsync(KmsCaller caller, string? keyId, int? limit,
        string? marker, CancellationToken cancellationToken)
    {
        var account = caller.Identity.AccountId;
        if (await authorizer.AuthorizeAsync(caller.Identity, new AuthorizationRequest("kms:ListAliases", "*", account) { Context = caller.Context },
                cancellationToken) is { } denied)
        {
            return KmsErrors.AccessDenied(denied);
        }

        string? filter = null;
        if (keyId is not null)
        {
            if (CheckTarget(keyId) is { } notKey)
            {
                return notKey;
            }

            var resolved = await ResolveAsync(account, keyId, cancellationToken);
            if (!resolved.TryGetValue(out var key, out var error))
            {
                return error;
            }

            filter = key.KeyId;
        }

        var size = limit ?? 100;
        var page = await Keys.ListAliasesAsync(account, filter, marker, size + 1, cancellationToken);
        return (page.Take(size).ToList(), page.Count > size ? page[size - 1].AliasName : null);
    }

    /// <summary>The key an alias is to point at: resolved, in the caller's account, allowed by its key policy, not pending deletion.</summary>
    private async Task<Outcome<KmsKey>> AliasTargetAsync(KmsCaller caller, string targetKeyId, string action, CancellationToken cancellationToken)
    {
        var resolved = await ResolveAsync(caller.Identity.AccountId, targetKeyId, cancellationToken);
        if (!resolved.TryGetValue(out var key, out var error))
        {
            return error;
        }

        if (key.AccountId != caller.Identity.AccountId)
        {
            return KmsErrors.KeyNotFound(ArnOf(key));
        }

        if (await AuthorizeAsync(caller, key, action, null, cancellationToken) is { } denied)
        {
            return denied;
        }

        return key.State == KeyStates.PendingDeletion ? KmsErrors.PendingDeletion(ArnOf(key)) : key;
    }

    /// <summary>The key an alias points at now must allow the change too (a key deleted meanwhile does not object).</summary>
    private async Task<AwsError?> CurrentTargetAsync(KmsCaller caller, KmsAlias alias, string action, CancellationToken cancellationToken)
    {
        var key = await LoadAsync(alias.AccountId, alias.TargetKeyId, cancellationToken);
        return key is null ? null : await AuthorizeAsync(caller, key, action, null, cancellationToken);
    }

    private async ValueTask<AwsError?> AuthorizeAliasAsync(KmsCaller caller, string aliasArn, string action, CancellationToken cancellationToken) =>
        await authorizer.AuthorizeAsync(caller.Identity, new AuthorizationRequest(action, aliasArn, caller.Identity.AccountId) { Context = caller.Context },
            cancellationToken) is { } denied
            ? KmsErrors.AccessDenied(denied)
            : null;

    private static AwsError? CheckAliasName(string aliasName)
    {
        if (!aliasName.StartsWith("alias/", StringComparison.Ordinal) || aliasName.Length == "alias/".Length)
        {
            return KmsErrors.InvalidAliasName(
                "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html");
        }

        return aliasName.StartsWith("alias/aws/", StringComparison.Ordinal)
            ? KmsErrors.InvalidAliasName("Alias names that begin with \"alias/aws/\" are reserved for AWS managed keys.")
            : null;
    }

    private static AwsError? CheckTarget(string targetKeyId) =>
        targetKeyId.StartsWith("alias/", StringComparison.Ordinal) || targetKeyId.Contains(":alias/", StringComparison.Ordinal)
            ? KmsErrors.Validation("Aliases must refer to keys. Not aliases")
            : null;
}
