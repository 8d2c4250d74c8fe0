using System.Security.Cryptography;
using System.Text;
using Lamina.Core.Crypto;
using Lamina.Core.Functions;
using Lamina.Core.Kms;
using Lamina.Tests.Support;

namespace Lamina.Tests.Kms;

/// <summary>The key service's ciphertext blobs, encryption contexts, the environment format and the master key ring.</summary>
public sealed class KmsCiphertextTests
{
    private const string Account = "111122223333";
    private static readonly string KeyId = Guid.NewGuid().ToString();

    private static byte[] Context(params (string Key, string Value)[] pairs) =>
        EncryptionContext.Encode(pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));

    [Fact]
    public void EncryptDecrypt_RoundTrips_BlobNamesAccountAndKey()
    {
        var material = RandomNumberGenerator.GetBytes(32);
        var blob = KmsCiphertext.Encrypt(material, Account, KeyId, "secret"u8, Context(("a", "1")));

        Assert.True(KmsCiphertext.TryReadKey(blob, out var account, out var keyId));
        Assert.Equal(Account, account);
        Assert.Equal(KeyId, keyId);
        Assert.Equal("secret"u8.ToArray(), KmsCiphertext.TryDecrypt(material, blob, Context(("a", "1"))));
        Assert.DoesNotContain("secret", Encoding.UTF8.GetString(blob), StringComparison.Ordinal);
    }

    [Fact]
    public void Decrypt_ContextIsExact_CaseSensitiveButOrderIndependent()
    {
        var material = RandomNumberGenerator.GetBytes(32);
        var blob = KmsCiphertext.Encrypt(material, Account, KeyId, "x"u8, Context(("purpose", "test"), ("stage", "prod")));

        Assert.NotNull(KmsCiphertext.TryDecrypt(material, blob, Context(("stage", "prod"), ("purpose", "test"))));
        Assert.Null(KmsCiphertext.TryDecrypt(material, blob, Context(("purpose", "test"))));
        Assert.Null(KmsCiphertext.TryDecrypt(material, blob, Context(("purpose", "Test"), ("stage", "prod"))));
        Assert.Null(KmsCiphertext.TryDecrypt(material, blob, Context(("Purpose", "test"), ("stage", "prod"))));
        Assert.Null(KmsCiphertext.TryDecrypt(material, blob, Context()));
        // Length prefixes keep a key/value boundary from sliding: {"ab":"c"} is not {"a":"bc"}.
        Assert.NotEqual(Context(("ab", "c")), Context(("a", "bc")));
    }

    [Fact]
    public void Decrypt_AnyFlippedByte_WrongMaterial_OrAnotherAccountsHeader_Fails()
    {
        var material = RandomNumberGenerator.GetBytes(32);
        var blob = KmsCiphertext.Encrypt(material, Account, KeyId, new byte[40], []);
        for (var i = 0; i < blob.Length; i++)
        {
            var copy = (byte[])blob.Clone();
            copy[i] ^= 0x01;
            Assert.Null(KmsCiphertext.TryDecrypt(material, copy, []));
        }

        Assert.Null(KmsCiphertext.TryDecrypt(RandomNumberGenerator.GetBytes(32), blob, []));
        var moved = (byte[])blob.Clone();
        Encoding.ASCII.GetBytes("999999999999").CopyTo(moved, 2);
        Assert.True(KmsCiphertext.TryReadKey(moved, out var otherAccount, out _));
        Assert.Equal("999999999999", otherAccount);
        Assert.Null(KmsCiphertext.TryDecrypt(material, moved, []));
    }

    [Fact]
    public void TryReadKey_NotALaminaBlob_False()
    {
        Assert.False(KmsCiphertext.TryReadKey("hello"u8, out _, out _));
        Assert.False(KmsCiphertext.TryReadKey(new byte[100], out _, out _));
    }

    [Fact]
    public void EnvironmentCipher_BindsFunctionAndVersion_DigestReadableWithoutKey()
    {
        var dataKey = RandomNumberGenerator.GetBytes(32);
        var wrapped = RandomNumberGenerator.GetBytes(90);
        var digest = EnvironmentCipher.Digest(RandomNumberGenerator.GetBytes(32), """{"A":"1"}""");
        const string Arn = "arn:aws:lambda:us-east-1:111122223333:function:f";
        var sealedBytes = EnvironmentCipher.Seal(dataKey, wrapped, digest, """{"A":"1"}""", Arn, "$LATEST");

        Assert.True(EnvironmentCipher.TryParse(sealedBytes, out var readWrapped, out var readDigest));
        Assert.Equal(wrapped, readWrapped);
        Assert.Equal(digest, readDigest);
        Assert.Equal("""{"A":"1"}""", EnvironmentCipher.Open(dataKey, sealedBytes, Arn, "$LATEST"));
        Assert.Null(EnvironmentCipher.Open(dataKey, sealedBytes, Arn, "1"));
        Assert.Null(EnvironmentCipher.Open(dataKey, sealedBytes, Arn.Replace(":f", ":g", StringComparison.Ordinal), "$LATEST"));
        var swapped = (byte[])sealedBytes.Clone();
        swapped[10] ^= 1;
        Assert.Null(EnvironmentCipher.Open(dataKey, swapped, Arn, "$LATEST"));
        Assert.False(EnvironmentCipher.IsKmsSealed(new Envelope(MasterKey.FromBytes(dataKey)).Seal("{}", "env:a:f")));
    }

    [Fact]
    public void MasterKey_RotatedByAnotherProcess_UnknownIdRereadsFile_RefreshSwitchesActiveKey()
    {
        var dir = TempDirs.Create("masterkey");
        try
        {
            var path = Path.Combine(dir, "master.key");
            var server = MasterKey.LoadOrCreate(path);
            var envelope = new Envelope(server);
            var old = envelope.Seal("before"u8, "ctx");

            var admin = new Envelope(MasterKey.Rotate(path));
            var rewrapped = (byte[])old.Clone();
            Assert.True(admin.Rewrap(rewrapped, "ctx"));
            Assert.False(admin.Rewrap(rewrapped, "ctx"));

            // The server never saw key 2, yet opens data re-wrapped under it.
            Assert.Equal(1u, server.ActiveKeyId);
            Assert.Equal("before", envelope.OpenString(rewrapped, "ctx"));
            Assert.False(server.Refresh());
            Assert.Equal(2u, server.ActiveKeyId);
            Assert.Equal(2u, Envelope.MasterKeyIdOf(envelope.Seal("after"u8, "ctx")));
            Assert.Equal([1u, 2u], server.KeyIds);
        }
        finally
        {
            TempDirs.Delete(dir);
        }
    }
}
