using System.Security.Cryptography;
using System.Text;
using Lamina.Core.Crypto;

namespace Lamina.Core.Audit;

/// <summary>
/// Signs digests with the node's RSA-2048 key (SHA256withRSA: PKCS#1 v1.5 over SHA-256, as CloudTrail and
/// awscli's <c>Sha256RSADigestValidator</c> use). The key is made on first start; its private half is kept
/// only sealed by the master key, its public half as PKCS#1 DER with a validity window (ListPublicKeys).
/// </summary>
internal sealed class AuditSigner : IDisposable
{
    private readonly RSA _rsa;

    private AuditSigner(RSA rsa, AuditSigningKey key)
    {
        _rsa = rsa;
        Key = key;
    }

    public AuditSigningKey Key { get; }

    public string Fingerprint => Key.Fingerprint;

    /// <summary>Loads the active signing key, or creates one (another process may win the race; its key is used then).</summary>
    public static async Task<AuditSigner> LoadOrCreateAsync(IAuditStore store, Envelope envelope, TimeProvider time, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var active = (await store.ListSigningKeysAsync(cancellationToken)).FirstOrDefault(k => k.ValidTo is null);
            if (active is not null)
            {
                return Open(active, envelope);
            }

            var created = Create(envelope, time.GetUtcNow());
            if (await store.AddSigningKeyAsync(created.Key, cancellationToken))
            {
                return created;
            }

            created.Dispose();
        }

        throw new InvalidOperationException("Could not create or load the audit signing key.");
    }

    private static AuditSigner Create(Envelope envelope, DateTimeOffset now)
    {
        var rsa = RSA.Create(2048);
        var publicKey = rsa.ExportRSAPublicKey();
        var fingerprint = FingerprintOf(publicKey);
        var privateKey = rsa.ExportPkcs8PrivateKey();
        try
        {
            return new AuditSigner(rsa, new AuditSigningKey
            {
                Fingerprint = fingerprint,
                PublicKey = publicKey,
                SealedPrivateKey = envelope.Seal(privateKey, SealContext(fingerprint)),
                ValidFrom = now,
            });
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }

    private static AuditSigner Open(AuditSigningKey key, Envelope envelope)
    {
        var rsa = OpenPrivateKey(key, envelope);
        if (!rsa.ExportRSAPublicKey().AsSpan().SequenceEqual(key.PublicKey))
        {
            rsa.Dispose();
            throw new CryptographicException($"Audit signing key {key.Fingerprint}: the public key does not belong to the sealed private key.");
        }

        return new AuditSigner(rsa, key);
    }

    private static RSA OpenPrivateKey(AuditSigningKey key, Envelope envelope)
    {
        var privateKey = envelope.Open(key.SealedPrivateKey, SealContext(key.Fingerprint));
        try
        {
            var rsa = RSA.Create();
            rsa.ImportPkcs8PrivateKey(privateKey, out _);
            return rsa;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }

    /// <summary>
    /// True when the stored public key is the public half of the sealed private key. A public key put in the
    /// store by someone without the master key (to make forged digests verify) fails this.
    /// </summary>
    public static bool IsGenuine(AuditSigningKey key, Envelope envelope)
    {
        try
        {
            using var rsa = OpenPrivateKey(key, envelope);
            return rsa.ExportRSAPublicKey().AsSpan().SequenceEqual(key.PublicKey) && FingerprintOf(key.PublicKey) == key.Fingerprint;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>The hex signature of <paramref name="stringToSign"/> (UTF-8).</summary>
    public string Sign(string stringToSign) =>
        Convert.ToHexStringLower(_rsa.SignData(Encoding.UTF8.GetBytes(stringToSign), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    public static bool Verify(byte[] publicKeyPkcs1, string stringToSign, string hexSignature)
    {
        byte[] signature;
        try
        {
            signature = Convert.FromHexString(hexSignature);
        }
        catch (FormatException)
        {
            return false;
        }

        try
        {
            using var rsa = RSA.Create();
            rsa.ImportRSAPublicKey(publicKeyPkcs1, out _);
            return rsa.VerifyData(Encoding.UTF8.GetBytes(stringToSign), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>
    /// 32 hex digits, the length of CloudTrail's fingerprints: the first 128 bits of SHA-256 over the PKCS#1 DER
    /// public key (CloudTrail does not document its derivation; awscli only looks fingerprints up).
    /// </summary>
    public static string FingerprintOf(byte[] publicKeyPkcs1) => Convert.ToHexStringLower(SHA256.HashData(publicKeyPkcs1).AsSpan(0, 16));

    internal static string SealContext(string fingerprint) => $"audit-signing-key:{fingerprint}";

    public void Dispose() => _rsa.Dispose();
}
