using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Lamina.Core.Auth;
using Lamina.Core.Crypto;
using Lamina.Core.Errors;
using Lamina.Core.Functions;
using Lamina.Core.Iam;
using Lamina.Core.Storage;

namespace Lamina.Core.Kms;

/// <summary>Who calls the key service: the authenticated principal and the request's condition keys.</summary>
/// <param name="ViaService">Set when Lambda uses the key on the principal's behalf (<c>kms:ViaService</c>).</param>
internal sealed record KmsCaller(CallerIdentity Identity, IReadOnlyDictionary<string, string> Context, string? ViaService = null);

/// <summary>
/// The key service (a KMS subset): symmetric keys whose 256-bit material is sealed by the master key,
/// aliases, key policies, and the cryptographic operations. Expected failures are KMS errors as values.
/// </summary>
/// <remarks>
/// Every operation on a key: (1) resolves the KeyId (key id, key ARN, alias name or alias ARN; another
/// account's key only by ARN); (2) loads the key, treating one whose deletion date has passed as deleted
/// (and deleting it); (3) authorizes <c>kms:ACTION</c> on the key ARN with the key policy as a policy that
/// must allow, as KMS does: the default key policy names the account's root, so IAM policies decide; a
/// custom policy that does not name the account leaves IAM policies without effect; across accounts the
/// key policy and the caller's IAM policies must both allow; (4) checks the key state; (5) acts.
/// </remarks>
internal sealed partial class KeyService(IStore store, Envelope envelope, PolicyAuthorizer authorizer, ControlPlaneOptions options, TimeProvider time)
{
    public const string LambdaAlias = "alias/aws/lambda";

    [GeneratedRegex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    private static partial Regex KeyIdRegex();

    [GeneratedRegex(@"^arn:aws:kms:(?<region>[a-z0-9-]+):(?<account>\d{12}):(?<kind>key|alias)/(?<rest>.+)$")]
    private static partial Regex ArnRegex();

    private IKmsStore Keys => store.Kms;

    public string Region => options.Region;

    public string ArnOf(KmsKey key) => key.Arn(options.Region);

    /// <summary>(1) and (2): the key a KeyId names, or NotFoundException.</summary>
    private async Task<Outcome<KmsKey>> ResolveAsync(string callerAccount, string keyId, CancellationToken cancellationToken)
    {
        var (account, id, alias) = Parse(callerAccount, keyId);
        if (account is null)
        {
            return KmsErrors.InvalidKeyId(keyId);
        }

        if (alias is not null)
        {
            var found = await Keys.GetAliasAsync(account, alias, cancellationToken);
            if (found is null)
            {
                return KmsErrors.AliasNotFound(KmsArns.Alias(options.Region, account, alias));
            }

            id = found.TargetKeyId;
        }

        var key = await LoadAsync(account, id!, cancellationToken);
        return key is null ? KmsErrors.KeyNotFound(KmsArns.Key(options.Region, account, id!)) : key;
    }

    /// <summary>Splits a KeyId into account and key id or alias name; a null account means it is malformed.</summary>
    private (string? Account, string? KeyId, string? Alias) Parse(string callerAccount, string keyId)
    {
        if (keyId.StartsWith("arn:", StringComparison.Ordinal))
        {
            var match = ArnRegex().Match(keyId);
            if (!match.Success || match.Groups["region"].Value != options.Region)
            {
                return (null, null, null);
            }

            var rest = match.Groups["rest"].Value;
            return match.Groups["kind"].Value == "key"
                ? (KeyIdRegex().IsMatch(rest) ? match.Groups["account"].Value : null, rest, null)
                : (match.Groups["account"].Value, null, "alias/" + rest);
        }

        if (keyId.StartsWith("alias/", StringComparison.Ordinal))
        {
            return (callerAccount, null, keyId);
        }

        return KeyIdRegex().IsMatch(keyId) ? (callerAccount, keyId, null) : (null, null, null);
    }

    /// <summary>A key, or null when it does not exist or its deletion date has passed (then it is deleted now).</summary>
    private async Task<KmsKey?> LoadAsync(string accountId, string keyId, CancellationToken cancellationToken)
    {
        var key = await Keys.GetKeyAsync(accountId, keyId, cancellationToken);
        if (key is { State: KeyStates.PendingDeletion, DeletionDate: { } due } && due <= time.GetUtcNow())
        {
            await Keys.DeleteKeyAsync(accountId, keyId, key.Revision, cancellationToken);
            return null;
        }

        return key;
    }

    /// <summary>(3): may the caller perform <paramref name="action"/> on the key? Null when allowed.</summary>
    private async ValueTask<AwsError?> AuthorizeAsync(KmsCaller caller, KmsKey key, string action,
        IReadOnlyDictionary<string, string>? encryptionContext, CancellationToken cancellationToken)
    {
        var decision = await DecideAsync(caller, key, action, encryptionContext, cancellationToken);
        return decision.Allowed ? null : KmsErrors.AccessDenied(PolicyAuthorizer.Denied(caller.Identity, Request(caller, key, action, encryptionContext), decision.Reason));
    }

    private ValueTask<Decision> DecideAsync(KmsCaller caller, KmsKey key, string action, IReadOnlyDictionary<string, string>? encryptionContext,
        CancellationToken cancellationToken) =>
        authorizer.DecideAsync(caller.Identity, Request(caller, key, action, encryptionContext), cancellationToken);

    private AuthorizationRequest Request(KmsCaller caller, KmsKey key, string action, IReadOnlyDictionary<string, string>? encryptionContext)
    {
        var context = new Dictionary<string, string>(caller.Context, StringComparer.Ordinal)
        {
            ["kms:CallerAccount"] = caller.Identity.AccountId,
        };
        if (caller.ViaService is { } via)
        {
            context["kms:ViaService"] = via;
        }

        foreach (var (name, value) in encryptionContext ?? new Dictionary<string, string>())
        {
            context["kms:EncryptionContext:" + name] = value;
        }

        return new AuthorizationRequest(action, ArnOf(key), key.AccountId)
        {
            ResourcePolicy = PolicyDocument.TryParse(key.Policy, out var policy, out _) ? policy : new PolicyDocument("2012-10-17", []),
            ResourcePolicyMustAllow = true,
            Context = context,
        };
    }

    /// <summary>(4) for cryptographic operations: only an enabled key encrypts or decrypts.</summary>
    private AwsError? Usable(KmsKey key) => key.State switch
    {
        KeyStates.Enabled => null,
        KeyStates.Disabled => KmsErrors.Disabled(ArnOf(key)),
        _ => KmsErrors.PendingDeletion(ArnOf(key)),
    };

    /// <summary>Resolves, authorizes and state-checks a key for a cryptographic operation.</summary>
    private async Task<Outcome<KmsKey>> UsableKeyAsync(KmsCaller caller, string keyId, string action, IReadOnlyDictionary<string, string>? encryptionContext,
        CancellationToken cancellationToken)
    {
        var resolved = await ResolveAsync(caller.Identity.AccountId, keyId, cancellationToken);
        if (!resolved.TryGetValue(out var key, out var error))
        {
            return error;
        }

        if (await AuthorizeAsync(caller, key, action, encryptionContext, cancellationToken) is { } denied)
        {
            return denied;
        }

        return Usable(key) is { } refused ? refused : key;
    }

    /// <summary>Runs <paramref name="use"/> with the key's material, wiped afterwards.</summary>
    private T WithMaterial<T>(KmsKey key, Func<byte[], T> use)
    {
        var material = envelope.Open(key.SealedMaterial, KmsKey.MaterialContext(key.AccountId, key.KeyId));
        try
        {
            return use(material);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    private byte[] SealMaterial(string accountId, string keyId)
    {
        var material = RandomNumberGenerator.GetBytes(KmsCiphertext.MaterialSize);
        try
        {
            return envelope.Seal(material, KmsKey.MaterialContext(accountId, keyId));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }
}
