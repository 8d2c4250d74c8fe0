using System.Security.Cryptography;
using Lamina.Core.Crypto;
using Lamina.Tests.Support;

namespace Lamina.Tests.Core;

public sealed class EnvelopeTests
{
    private static Envelope NewEnvelope() => new(MasterKey.FromBytes(RandomNumberGenerator.GetBytes(32)));

    [Fact]
    public void SealOpen_RoundTrips()
    {
        var envelope = NewEnvelope();
        var sealedBytes = envelope.Seal("secret value"u8, "ctx:a");
        Assert.Equal("secret value", System.Text.Encoding.UTF8.GetString(envelope.Open(sealedBytes, "ctx:a")));
        Assert.DoesNotContain("secret value", System.Text.Encoding.UTF8.GetString(sealedBytes), StringComparison.Ordinal);
    }

    [Fact]
    public void Open_WrongContext_Fails()
    {
        var envelope = NewEnvelope();
        var sealedBytes = envelope.Seal("x"u8, "code:1:sha:a");
        Assert.ThrowsAny<CryptographicException>(() => envelope.Open(sealedBytes, "code:2:sha:a"));
    }

    [Fact]
    public void Open_AnyFlippedByte_Fails()
    {
        var envelope = NewEnvelope();
        var sealedBytes = envelope.Seal(new byte[64], "ctx");
        for (var i = 0; i < sealedBytes.Length; i++)
        {
            var copy = (byte[])sealedBytes.Clone();
            copy[i] ^= 0x01;
            Assert.ThrowsAny<CryptographicException>(() => envelope.Open(copy, "ctx"));
        }
    }

    [Fact]
    public void Seal_SamePlaintextTwice_DifferentCiphertexts()
    {
        var envelope = NewEnvelope();
        Assert.NotEqual(envelope.Seal("same"u8, "c"), envelope.Seal("same"u8, "c"));
    }

    [Fact]
    public void Rotate_RewrapsDataKeys_OldDataStillOpens()
    {
        var dir = TempDirs.Create("masterkey");
        try
        {
            var path = Path.Combine(dir, "master.key");
            var before = new Envelope(MasterKey.LoadOrCreate(path));
            var sealedBytes = before.Seal("payload"u8, "ctx");
            var after = new Envelope(MasterKey.Rotate(path));
            Assert.Equal(2u, after.MasterKey.ActiveKeyId);
            Assert.Equal("payload", after.OpenString(sealedBytes, "ctx"));
            after.Rewrap(sealedBytes, "ctx");
            Assert.Equal(2u, Envelope.MasterKeyIdOf(sealedBytes));
            Assert.Equal("payload", after.OpenString(sealedBytes, "ctx"));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        finally
        {
            TempDirs.Delete(dir);
        }
    }

    [Fact]
    public void LoadOrCreate_GroupReadableKeyFile_Refused()
    {
        var dir = TempDirs.Create("masterkey");
        try
        {
            var path = Path.Combine(dir, "master.key");
            MasterKey.LoadOrCreate(path);
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
            var error = Assert.Throws<UnauthorizedAccessException>(() => MasterKey.LoadOrCreate(path));
            Assert.Contains("chmod 600", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            TempDirs.Delete(dir);
        }
    }
}
