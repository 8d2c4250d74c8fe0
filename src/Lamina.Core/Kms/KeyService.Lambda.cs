using Lamina.Core.Auth;
using Lamina.Core.Errors;
using Lamina.Core.Iam;
using Lamina.Core.Storage;

namespace Lamina.Core.Kms;

/// <remarks>
/// How Lambda uses keys for environment variables, after AWS: the function's <c>KMSKeyArn</c>, or the
/// account's AWS managed key <c>alias/aws/lambda</c>, created on first use. Configuring a key needs the
/// caller's <c>kms:CreateGrant</c> and <c>kms:Encrypt</c> through Lambda (<c>kms:ViaService</c>); Lamina
/// records no grant object, the function's configuration is the grant. Under it the function's execution
/// role may decrypt its own variables at a cold start, refused only by an explicit deny (AWS grants yield
/// to nothing else); readers of the configuration need <c>kms:Decrypt</c> themselves.
/// </remarks>
internal sealed partial class KeyService
{
    public const string LambdaKeyDescription = "Default key that protects my Lambda functions when no other key is defined";

    public string LambdaViaService => $"lambda.{options.Region}.amazonaws.com";

    /// <summary>The account's <c>alias/aws/lambda</c> key, created (with its alias, in one write) when first needed.</summary>
    public async Task<Outcome<KmsKey>> LambdaDefaultKeyAsync(string accountId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (await Keys.GetAliasAsync(accountId, LambdaAlias, cancellationToken) is { } alias)
            {
                var existing = await LoadAsync(accountId, alias.TargetKeyId, cancellationToken);
                return existing is null ? KmsErrors.KeyNotFound(KmsArns.Key(options.Region, accountId, alias.TargetKeyId)) : existing;
            }

            var now = time.GetUtcNow();
            var keyId = Guid.NewGuid().ToString();
            var key = new KmsKey
            {
                AccountId = accountId,
                KeyId = keyId,
                CreatedAt = now,
                Description = LambdaKeyDescription,
                Policy = KeyPolicies.AwsLambda(accountId, options.Region),
                KeyManager = "AWS",
                SealedMaterial = SealMaterial(accountId, keyId),
            };
            var created = await Keys.CreateKeyWithAliasAsync(key,
                new KmsAlias { AccountId = accountId, AliasName = LambdaAlias, TargetKeyId = keyId, CreatedAt = now, UpdatedAt = now }, cancellationToken);
            if (created == WriteStatus.Ok)
            {
                return key;
            }

            if (attempt >= RaceRetries)
            {
                return new AwsError(500, "KMSInternalException", "Could not create the AWS managed key alias/aws/lambda.");
            }
        }
    }

    /// <summary>
    /// The key a function's variables are to be sealed with (its KMSKeyArn, else the account's default key), checked
    /// as Lambda checks it at Create/UpdateFunctionConfiguration; failures are Lambda's InvalidParameterValueException.
    /// </summary>
    public async Task<Outcome<KmsKey>> KeyForFunctionAsync(CallerIdentity caller, string functionAccount, string? kmsKeyArn, string functionArn,
        CancellationToken cancellationToken)
    {
        if (kmsKeyArn is null)
        {
            return await LambdaDefaultKeyAsync(functionAccount, cancellationToken);
        }

        var match = ArnRegex().Match(kmsKeyArn);
        if (!match.Success || match.Groups["kind"].Value != "key")
        {
            return KmsErrors.ForLambdaConfigure(KmsErrors.InvalidArn(match.Success
                ? "Key Aliases are not supported for this operation."
                : $"{kmsKeyArn} is not a valid key ARN."));
        }

        var resolved = await ResolveAsync(caller.AccountId, kmsKeyArn, cancellationToken);
        if (!resolved.TryGetValue(out var key, out var error))
        {
            return KmsErrors.ForLambdaConfigure(error);
        }

        var via = new KmsCaller(caller, new Dictionary<string, string>(), LambdaViaService);
        var context = FunctionContext(functionArn);
        var refused = await AuthorizeAsync(via, key, "kms:CreateGrant", null, cancellationToken)
                      ?? await AuthorizeAsync(via, key, "kms:Encrypt", context, cancellationToken)
                      ?? Usable(key);
        return refused is null ? key : KmsErrors.ForLambdaConfigure(refused);
    }

    /// <summary>A fresh data key and its ciphertext under <paramref name="key"/>, for a key <see cref="KeyForFunctionAsync"/> accepted.</summary>
    public (byte[] Plaintext, byte[] Ciphertext) GenerateDataKeyForLambda(KmsKey key, string functionArn)
    {
        var plaintext = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        return (plaintext, Seal(key, plaintext, FunctionContext(functionArn)));
    }

    /// <summary>
    /// Opens a function's data key through Lambda: for a reader of its configuration (<paramref name="grant"/> false:
    /// the principal needs kms:Decrypt), or under the function's grant (cold start, publish: only an explicit deny
    /// refuses). Failures are KMS errors; callers word them as Lambda does.
    /// </summary>
    public async Task<Outcome<byte[]>> DecryptForLambdaAsync(CallerIdentity principal, bool grant, byte[] ciphertext, string functionArn,
        CancellationToken cancellationToken)
    {
        if (!KmsCiphertext.TryReadKey(ciphertext, out var account, out var keyId))
        {
            return KmsErrors.InvalidCiphertext();
        }

        var key = await LoadAsync(account, keyId, cancellationToken);
        if (key is null)
        {
            return KmsErrors.KeyNotFound(KmsArns.Key(options.Region, account, keyId));
        }

        var context = FunctionContext(functionArn);
        var via = new KmsCaller(principal, new Dictionary<string, string>(), LambdaViaService);
        var decision = await DecideAsync(via, key, "kms:Decrypt", context, cancellationToken);
        var refusedByPolicy = grant
            ? decision.Kind is DecisionKind.ExplicitDenyIdentity or DecisionKind.ExplicitDenyResource
            : !decision.Allowed;
        if (refusedByPolicy)
        {
            return KmsErrors.AccessDenied(PolicyAuthorizer.Denied(principal, Request(via, key, "kms:Decrypt", context), decision.Reason));
        }

        if (Usable(key) is { } unusable)
        {
            return unusable;
        }

        var plaintext = Open(key, ciphertext, context);
        return plaintext is null ? KmsErrors.InvalidCiphertext() : plaintext;
    }

    /// <summary>The encryption context Lambda uses for a function's data key (as in AWS CloudTrail records).</summary>
    private static Dictionary<string, string> FunctionContext(string functionArn) => new(StringComparer.Ordinal) { ["aws:lambda:FunctionArn"] = functionArn };
}
