using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Lamina.Core.Crypto;

/// <summary>
/// Envelope encryption at rest: each sealed object gets a fresh 256-bit data key (DEK), the object is
/// encrypted with AES-256-GCM under the DEK, and the DEK is wrapped by the master key. The caller's
/// context (the object's identity, e.g. <c>code:ACCOUNT:SHA</c>) is the associated data of both, so a
/// ciphertext moved to another object fails to open.
/// </summary>
/// <remarks>
/// A fresh DEK per object keeps each key at one GCM encryption, far below NIST SP 800-38D's 2^32
/// random-nonce limit. Layout: "LE" 0x01 | masterKeyId u32 | wrapNonce 12 | wrapTag 16 | wrappedDek 32 |
/// nonce 12 | tag 16 | ciphertext.
/// </remarks>
internal sealed class Envelope(MasterKey masterKey)
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int HeaderSize = 3 + 4 + NonceSize + TagSize + MasterKey.KeySize + NonceSize + TagSize;
    private static readonly byte[] WrapPrefix = "lamina-dek|"u8.ToArray();

    public MasterKey MasterKey => masterKey;

    public static int SealedSize(int plaintextLength) => HeaderSize + plaintextLength;

    public byte[] Seal(ReadOnlySpan<byte> plaintext, string context)
    {
        var output = new byte[HeaderSize + plaintext.Length];
        Seal(plaintext, context, output);
        return output;
    }

    public byte[] Seal(string plaintext, string context) => Seal(Encoding.UTF8.GetBytes(plaintext), context);

    public void Seal(ReadOnlySpan<byte> plaintext, string context, Span<byte> output)
    {
        var aad = Encoding.UTF8.GetBytes(context);
        var (activeId, activeKey) = masterKey.Active;
        Span<byte> dek = stackalloc byte[MasterKey.KeySize];
        RandomNumberGenerator.Fill(dek);
        try
        {
            output[0] = (byte)'L';
            output[1] = (byte)'E';
            output[2] = 1;
            BinaryPrimitives.WriteUInt32BigEndian(output.Slice(3, 4), activeId);
            var wrapNonce = output.Slice(7, NonceSize);
            var wrapTag = output.Slice(7 + NonceSize, TagSize);
            var wrapped = output.Slice(7 + NonceSize + TagSize, MasterKey.KeySize);
            var nonce = output.Slice(7 + NonceSize + TagSize + MasterKey.KeySize, NonceSize);
            var tag = output.Slice(HeaderSize - TagSize, TagSize);
            RandomNumberGenerator.Fill(wrapNonce);
            RandomNumberGenerator.Fill(nonce);
            using (var wrap = new AesGcm(activeKey, TagSize))
            {
                wrap.Encrypt(wrapNonce, dek, wrapped, wrapTag, WrapAad(aad));
            }

            using var gcm = new AesGcm(dek, TagSize);
            gcm.Encrypt(nonce, plaintext, output[HeaderSize..], tag, aad);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dek);
        }
    }

    public byte[] Open(ReadOnlySpan<byte> sealedData, string context)
    {
        if (sealedData.Length < HeaderSize)
        {
            throw new CryptographicException("Sealed object is truncated.");
        }

        var output = new byte[sealedData.Length - HeaderSize];
        Open(sealedData, context, output);
        return output;
    }

    public string OpenString(ReadOnlySpan<byte> sealedData, string context) => Encoding.UTF8.GetString(Open(sealedData, context));

    public void Open(ReadOnlySpan<byte> sealedData, string context, Span<byte> output)
    {
        if (sealedData.Length < HeaderSize || sealedData[0] != 'L' || sealedData[1] != 'E' || sealedData[2] != 1)
        {
            throw new CryptographicException("Not a Lamina envelope (bad header).");
        }

        var keyId = BinaryPrimitives.ReadUInt32BigEndian(sealedData.Slice(3, 4));
        if (!masterKey.TryGetKey(keyId, out var kek))
        {
            throw new CryptographicException($"Master key {keyId} is not in the key file.");
        }

        var aad = Encoding.UTF8.GetBytes(context);
        Span<byte> dek = stackalloc byte[MasterKey.KeySize];
        try
        {
            using (var wrap = new AesGcm(kek, TagSize))
            {
                wrap.Decrypt(
                    sealedData.Slice(7, NonceSize),
                    sealedData.Slice(7 + NonceSize + TagSize, MasterKey.KeySize),
                    sealedData.Slice(7 + NonceSize, TagSize),
                    dek,
                    WrapAad(aad));
            }

            using var gcm = new AesGcm(dek, TagSize);
            gcm.Decrypt(
                sealedData.Slice(7 + NonceSize + TagSize + MasterKey.KeySize, NonceSize),
                sealedData[HeaderSize..],
                sealedData.Slice(HeaderSize - TagSize, TagSize),
                output,
                aad);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dek);
        }
    }

    /// <summary>Which master key wrapped this object's data key.</summary>
    public static uint MasterKeyIdOf(ReadOnlySpan<byte> sealedData) => BinaryPrimitives.ReadUInt32BigEndian(sealedData.Slice(3, 4));

    /// <summary>Whether these bytes are an envelope (as opposed to another sealed format sharing a column).</summary>
    public static bool IsEnvelope(ReadOnlySpan<byte> data) => data.Length >= HeaderSize && data[0] == 'L' && data[1] == 'E' && data[2] == 1;

    /// <summary>
    /// Re-wraps the data key under the active master key without touching the ciphertext: rotation
    /// costs 60 bytes of work per object, however large the object. False when it already was.
    /// </summary>
    public bool Rewrap(Span<byte> sealedData, string context)
    {
        var keyId = MasterKeyIdOf(sealedData);
        var (activeId, activeKey) = masterKey.Active;
        if (keyId == activeId)
        {
            return false;
        }

        if (!masterKey.TryGetKey(keyId, out var oldKek))
        {
            throw new CryptographicException($"Master key {keyId} is not in the key file.");
        }

        var aad = WrapAad(Encoding.UTF8.GetBytes(context));
        Span<byte> dek = stackalloc byte[MasterKey.KeySize];
        try
        {
            var wrapNonce = sealedData.Slice(7, NonceSize);
            var wrapTag = sealedData.Slice(7 + NonceSize, TagSize);
            var wrapped = sealedData.Slice(7 + NonceSize + TagSize, MasterKey.KeySize);
            using (var oldWrap = new AesGcm(oldKek, TagSize))
            {
                oldWrap.Decrypt(wrapNonce, wrapped, wrapTag, dek, aad);
            }

            RandomNumberGenerator.Fill(wrapNonce);
            using (var newWrap = new AesGcm(activeKey, TagSize))
            {
                newWrap.Encrypt(wrapNonce, dek, wrapped, wrapTag, aad);
            }

            BinaryPrimitives.WriteUInt32BigEndian(sealedData.Slice(3, 4), activeId);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dek);
        }
    }

    private static byte[] WrapAad(byte[] aad)
    {
        var result = new byte[WrapPrefix.Length + aad.Length];
        WrapPrefix.CopyTo(result, 0);
        aad.CopyTo(result, WrapPrefix.Length);
        return result;
    }
}
