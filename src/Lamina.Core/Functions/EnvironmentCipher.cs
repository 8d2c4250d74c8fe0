using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Lamina.Core.Functions;

/// <summary>
/// The at-rest form of a function version's environment variables, sealed under a KMS data key.
/// </summary>
/// <remarks>
/// Layout: "LK" 0x01 | u16 length | the data key's KMS ciphertext blob | digest 32 | nonce 12 | tag 16 | ciphertext
/// of the variables' JSON (AES-256-GCM under the data key). The associated data binds the function ARN and
/// the version (a sealed environment moved to another function or version fails to open) and the header,
/// so neither the wrapped key nor the digest can be swapped. The digest is a keyed hash of the JSON that
/// PublishVersion compares without decrypting. The older format, an <see cref="Crypto.Envelope"/> under the
/// master key (context <c>env:ACCOUNT:FUNCTION</c>), is still read.
/// </remarks>
internal static class EnvironmentCipher
{
    public const int DigestSize = 32;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly byte[] AadPrefix = "lamina-env-v1"u8.ToArray();

    public static bool IsKmsSealed(ReadOnlySpan<byte> data) => data.Length > 5 && data[0] == 'L' && data[1] == 'K' && data[2] == 1;

    /// <summary>The wrapped data key and the digest of a KMS-sealed environment.</summary>
    public static bool TryParse(byte[] data, out byte[] wrappedKey, out byte[] digest)
    {
        wrappedKey = [];
        digest = [];
        if (!IsKmsSealed(data))
        {
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(3, 2));
        if (data.Length < HeaderSize(length) + NonceSize + TagSize)
        {
            return false;
        }

        wrappedKey = data.AsSpan(5, length).ToArray();
        digest = data.AsSpan(5 + length, DigestSize).ToArray();
        return true;
    }

    public static byte[] Seal(ReadOnlySpan<byte> dataKey, byte[] wrappedKey, byte[] digest, string json, string functionArn, string version)
    {
        var plaintext = Encoding.UTF8.GetBytes(json);
        var header = HeaderSize(wrappedKey.Length);
        var output = new byte[header + NonceSize + TagSize + plaintext.Length];
        output[0] = (byte)'L';
        output[1] = (byte)'K';
        output[2] = 1;
        BinaryPrimitives.WriteUInt16BigEndian(output.AsSpan(3, 2), checked((ushort)wrappedKey.Length));
        wrappedKey.CopyTo(output, 5);
        digest.CopyTo(output, 5 + wrappedKey.Length);
        var nonce = output.AsSpan(header, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        try
        {
            using var gcm = new AesGcm(dataKey, TagSize);
            gcm.Encrypt(nonce, plaintext, output.AsSpan(header + NonceSize + TagSize), output.AsSpan(header + NonceSize, TagSize),
                Aad(output.AsSpan(0, header), functionArn, version));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }

        return output;
    }

    /// <summary>The variables' JSON, or null when the data does not open under this key, function and version.</summary>
    public static string? Open(ReadOnlySpan<byte> dataKey, byte[] data, string functionArn, string version)
    {
        if (!TryParse(data, out var wrappedKey, out _))
        {
            return null;
        }

        var header = HeaderSize(wrappedKey.Length);
        var plaintext = new byte[data.Length - header - NonceSize - TagSize];
        try
        {
            using var gcm = new AesGcm(dataKey, TagSize);
            gcm.Decrypt(data.AsSpan(header, NonceSize), data.AsSpan(header + NonceSize + TagSize), data.AsSpan(header + NonceSize, TagSize), plaintext,
                Aad(data.AsSpan(0, header), functionArn, version));
            return Encoding.UTF8.GetString(plaintext);
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>A keyed hash of the variables' JSON (what PublishVersion compares).</summary>
    public static byte[] Digest(ReadOnlySpan<byte> hashKey, string json) => HMACSHA256.HashData(hashKey, Encoding.UTF8.GetBytes(json));

    private static int HeaderSize(int wrappedLength) => 5 + wrappedLength + DigestSize;

    private static byte[] Aad(ReadOnlySpan<byte> header, string functionArn, string version)
    {
        var arn = Encoding.UTF8.GetBytes(functionArn);
        var label = Encoding.UTF8.GetBytes(version);
        var aad = new byte[AadPrefix.Length + 4 + arn.Length + 4 + label.Length + header.Length];
        var at = 0;
        AadPrefix.CopyTo(aad, at);
        at += AadPrefix.Length;
        foreach (var part in (ReadOnlySpan<byte[]>)[arn, label])
        {
            BinaryPrimitives.WriteInt32BigEndian(aad.AsSpan(at, 4), part.Length);
            part.CopyTo(aad, at + 4);
            at += 4 + part.Length;
        }

        header.CopyTo(aad.AsSpan(at));
        return aad;
    }
}
