using System.Security.Cryptography;
using System.Text;

namespace Lamina.Core.Kms;

/// <summary>
/// The ciphertext blobs Lamina's key service hands out. The header names the account and key, so
/// Decrypt needs no KeyId and a blob cannot be passed off as another account's: header and encryption
/// context are both associated data.
/// </summary>
/// <remarks>
/// Layout: 0x4B ('K') | version 0x01 | account id (12 ASCII digits) | key id (16-byte UUID) | salt 16 |
/// nonce 12 | tag 16 | ciphertext. Each blob is encrypted under its own key, HKDF-SHA256(key material,
/// salt, "lamina-kms-v1" | header), so a KMS key never comes near AES-GCM's 2^32 random-nonce limit
/// per key (NIST SP 800-38D) however many Encrypt calls it serves; AWS KMS derives per-call keys too.
/// </remarks>
internal static class KmsCiphertext
{
    public const int MaterialSize = 32;
    private const byte Magic = (byte)'K';
    private const byte Version = 1;
    private const int AccountSize = 12;
    private const int HeaderSize = 2 + AccountSize + 16;
    private const int SaltSize = 16;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int Overhead = HeaderSize + SaltSize + NonceSize + TagSize;
    private static readonly byte[] Info = "lamina-kms-v1"u8.ToArray();

    /// <summary>The account and key a blob names, if it is one of Lamina's blobs.</summary>
    public static bool TryReadKey(ReadOnlySpan<byte> blob, out string accountId, out string keyId)
    {
        accountId = "";
        keyId = "";
        if (blob.Length < Overhead || blob[0] != Magic || blob[1] != Version)
        {
            return false;
        }

        var account = blob.Slice(2, AccountSize);
        foreach (var b in account)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
        }

        accountId = Encoding.ASCII.GetString(account);
        keyId = new Guid(blob.Slice(2 + AccountSize, 16), bigEndian: true).ToString();
        return true;
    }

    public static byte[] Encrypt(ReadOnlySpan<byte> material, string accountId, string keyId, ReadOnlySpan<byte> plaintext, byte[] context)
    {
        var blob = new byte[Overhead + plaintext.Length];
        blob[0] = Magic;
        blob[1] = Version;
        Encoding.ASCII.GetBytes(accountId, blob.AsSpan(2, AccountSize));
        Guid.Parse(keyId).TryWriteBytes(blob.AsSpan(2 + AccountSize, 16), bigEndian: true, out _);
        var salt = blob.AsSpan(HeaderSize, SaltSize);
        var nonce = blob.AsSpan(HeaderSize + SaltSize, NonceSize);
        RandomNumberGenerator.Fill(salt);
        RandomNumberGenerator.Fill(nonce);
        Span<byte> key = stackalloc byte[32];
        try
        {
            Derive(material, blob, key);
            using var gcm = new AesGcm(key, TagSize);
            gcm.Encrypt(nonce, plaintext, blob.AsSpan(Overhead), blob.AsSpan(HeaderSize + SaltSize + NonceSize, TagSize), Aad(blob, context));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }

        return blob;
    }

    /// <summary>The plaintext, or null when the blob, key or context does not match (InvalidCiphertextException).</summary>
    public static byte[]? TryDecrypt(ReadOnlySpan<byte> material, byte[] blob, byte[] context)
    {
        if (blob.Length < Overhead)
        {
            return null;
        }

        var plaintext = new byte[blob.Length - Overhead];
        Span<byte> key = stackalloc byte[32];
        try
        {
            Derive(material, blob, key);
            using var gcm = new AesGcm(key, TagSize);
            gcm.Decrypt(blob.AsSpan(HeaderSize + SaltSize, NonceSize), blob.AsSpan(Overhead), blob.AsSpan(HeaderSize + SaltSize + NonceSize, TagSize),
                plaintext, Aad(blob, context));
            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static void Derive(ReadOnlySpan<byte> material, byte[] blob, Span<byte> key)
    {
        Span<byte> info = stackalloc byte[Info.Length + HeaderSize];
        Info.CopyTo(info);
        blob.AsSpan(0, HeaderSize).CopyTo(info[Info.Length..]);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, material, key, blob.AsSpan(HeaderSize, SaltSize), info);
    }

    private static byte[] Aad(byte[] blob, byte[] context)
    {
        var aad = new byte[HeaderSize + context.Length];
        blob.AsSpan(0, HeaderSize).CopyTo(aad);
        context.CopyTo(aad, HeaderSize);
        return aad;
    }
}
