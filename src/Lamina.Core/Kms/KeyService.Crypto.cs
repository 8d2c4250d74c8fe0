using System.Security.Cryptography;
using Lamina.Core.Errors;

namespace Lamina.Core.Kms;

internal sealed partial class KeyService
{
    /// <summary>KMS's Plaintext limit for Encrypt.</summary>
    public const int MaxPlaintextBytes = 4096;

    public async Task<Outcome<(KmsKey Key, byte[] Ciphertext)>> EncryptAsync(KmsCaller caller, string keyId, byte[] plaintext,
        IReadOnlyDictionary<string, string>? context, bool dryRun, CancellationToken cancellationToken)
    {
        var usable = await UsableKeyAsync(caller, keyId, "kms:Encrypt", context, cancellationToken);
        if (!usable.TryGetValue(out var key, out var error))
        {
            return error;
        }

        return dryRun ? KmsErrors.DryRun() : (key, Seal(key, plaintext, context));
    }

    /// <summary>GenerateDataKey(WithoutPlaintext): fresh random bytes and their ciphertext under the key.</summary>
    public async Task<Outcome<(KmsKey Key, byte[] Plaintext, byte[] Ciphertext)>> GenerateDataKeyAsync(KmsCaller caller, string keyId, int bytes,
        IReadOnlyDictionary<string, string>? context, string action, bool dryRun, CancellationToken cancellationToken)
    {
        var usable = await UsableKeyAsync(caller, keyId, action, context, cancellationToken);
        if (!usable.TryGetValue(out var key, out var error))
        {
            return error;
        }

        if (dryRun)
        {
            return KmsErrors.DryRun();
        }

        var plaintext = RandomNumberGenerator.GetBytes(bytes);
        return (key, plaintext, Seal(key, plaintext, context));
    }

    /// <summary>
    /// Decrypt: the blob names its key; a KeyId, when given, must name that same key (IncorrectKeyException).
    /// A blob naming a key that does not exist is refused as KMS refuses it (AccessDeniedException).
    /// </summary>
    public async Task<Outcome<(KmsKey Key, byte[] Plaintext)>> DecryptAsync(KmsCaller caller, byte[] ciphertext, IReadOnlyDictionary<string, string>? context,
        string? keyId, string action, bool dryRun, CancellationToken cancellationToken)
    {
        var named = await BlobKeyAsync(caller, ciphertext, keyId, cancellationToken);
        if (!named.TryGetValue(out var key, out var error))
        {
            return error;
        }

        if ((await AuthorizeAsync(caller, key, action, context, cancellationToken) ?? Usable(key)) is { } refused)
        {
            return refused;
        }

        if (dryRun)
        {
            return KmsErrors.DryRun();
        }

        var plaintext = Open(key, ciphertext, context);
        return plaintext is null ? KmsErrors.InvalidCiphertext() : (key, plaintext);
    }

    /// <summary>ReEncrypt: decrypts under the source key (kms:ReEncryptFrom) and encrypts under the destination (kms:ReEncryptTo).</summary>
    public async Task<Outcome<(KmsKey Source, KmsKey Destination, byte[] Ciphertext)>> ReEncryptAsync(KmsCaller caller, byte[] ciphertext,
        IReadOnlyDictionary<string, string>? sourceContext, string? sourceKeyId, string destinationKeyId,
        IReadOnlyDictionary<string, string>? destinationContext, bool dryRun, CancellationToken cancellationToken)
    {
        var opened = await DecryptAsync(caller, ciphertext, sourceContext, sourceKeyId, "kms:ReEncryptFrom", dryRun: false, cancellationToken);
        if (!opened.TryGetValue(out var source, out var error))
        {
            return error;
        }

        try
        {
            var destination = await UsableKeyAsync(caller, destinationKeyId, "kms:ReEncryptTo", destinationContext, cancellationToken);
            if (!destination.TryGetValue(out var key, out error))
            {
                return error;
            }

            return dryRun ? KmsErrors.DryRun() : (source.Key, key, Seal(key, source.Plaintext, destinationContext));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(source.Plaintext);
        }
    }

    /// <summary>The key a ciphertext blob names (checked against an explicit KeyId).</summary>
    private async Task<Outcome<KmsKey>> BlobKeyAsync(KmsCaller caller, byte[] ciphertext, string? keyId, CancellationToken cancellationToken)
    {
        if (!KmsCiphertext.TryReadKey(ciphertext, out var account, out var blobKeyId))
        {
            return KmsErrors.InvalidCiphertext();
        }

        if (keyId is not null)
        {
            var named = await ResolveAsync(caller.Identity.AccountId, keyId, cancellationToken);
            if (!named.TryGetValue(out var explicitKey, out var error))
            {
                return error;
            }

            if (explicitKey.AccountId != account || explicitKey.KeyId != blobKeyId)
            {
                return KmsErrors.IncorrectKey();
            }

            return explicitKey;
        }

        var key = await LoadAsync(account, blobKeyId, cancellationToken);
        return key is null ? KmsErrors.CiphertextKeyUnavailable() : key;
    }

    private byte[] Seal(KmsKey key, byte[] plaintext, IReadOnlyDictionary<string, string>? context) =>
        WithMaterial(key, material => KmsCiphertext.Encrypt(material, key.AccountId, key.KeyId, plaintext, EncryptionContext.Encode(context)));

    private byte[]? Open(KmsKey key, byte[] ciphertext, IReadOnlyDictionary<string, string>? context) =>
        WithMaterial(key, material => KmsCiphertext.TryDecrypt(material, ciphertext, EncryptionContext.Encode(context)));
}
