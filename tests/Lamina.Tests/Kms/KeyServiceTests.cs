using System.Security.Cryptography;
using Lamina.Core.Accounts;
using Lamina.Core.Auth;
using Lamina.Core.Crypto;
using Lamina.Core.Errors;
using Lamina.Core.Functions;
using Lamina.Core.Iam;
using Lamina.Core.Kms;
using Lamina.Storage.Sqlite;
using Lamina.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Lamina.Tests.Kms;

/// <summary>The key service on a fake clock: what happens when a key's deletion date passes.</summary>
public sealed class KeyServiceTests : IAsyncLifetime
{
    private const string AccountId = "123456789012";
    private const string FunctionArn = "arn:aws:lambda:us-east-1:123456789012:function:f";
    private readonly string _dir = TempDirs.Create("key-service");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private SqliteStore _store = null!;
    private KeyService _keys = null!;

    private static readonly CallerIdentity Root = new(AccountId, $"arn:aws:iam::{AccountId}:root", AccountId, PrincipalKind.Root, "AKIAEXAMPLE");

    private static KmsCaller Caller => new(Root, new Dictionary<string, string>());

    public async ValueTask InitializeAsync()
    {
        _store = await SqliteStore.OpenAsync(Path.Combine(_dir, "kms.db"), _time, CancellationToken.None);
        var envelope = new Envelope(MasterKey.FromBytes(RandomNumberGenerator.GetBytes(32)));
        _keys = new KeyService(_store, envelope, new PolicyAuthorizer(_store, _time), new ControlPlaneOptions(), _time);
        await new AccountService(_store, envelope, _time).CreateAsync("kms", AccountId, CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        TempDirs.Delete(_dir);
    }

    [Fact]
    public async Task DeletionDatePassed_KeyGone_CiphertextsUnrecoverable_LambdaSaysKMSNotFound()
    {
        var key = (await _keys.CreateKeyAsync(Caller, new CreateKeyInput(), CancellationToken.None)).Value;
        Assert.True((await _keys.CreateAliasAsync(Caller, "alias/doomed", key.KeyId, CancellationToken.None)) is null);
        var blob = (await _keys.EncryptAsync(Caller, key.KeyId, [1, 2, 3], null, false, CancellationToken.None)).Value.Ciphertext;
        var (_, wrapped) = _keys.GenerateDataKeyForLambda(key, FunctionArn);
        Assert.True((await _keys.ScheduleDeletionAsync(Caller, key.KeyId, 7, CancellationToken.None)).IsSuccess);

        _time.Advance(TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1));
        Assert.Equal("KMSInvalidStateException", (await _keys.DecryptAsync(Caller, blob, null, null, "kms:Decrypt", false, CancellationToken.None)).Error!.Code);
        Assert.Equal(KeyStates.PendingDeletion, (await _keys.DescribeKeyAsync(Caller, key.KeyId, CancellationToken.None)).Value.State);

        _time.Advance(TimeSpan.FromMinutes(2));
        var described = await _keys.DescribeKeyAsync(Caller, key.KeyId, CancellationToken.None);
        Assert.Equal($"Key 'arn:aws:kms:us-east-1:{AccountId}:key/{key.KeyId}' does not exist", described.Error!.Message);
        Assert.Equal("AccessDeniedException", (await _keys.DecryptAsync(Caller, blob, null, null, "kms:Decrypt", false, CancellationToken.None)).Error!.Code);
        Assert.Null(await _store.Kms.GetAliasAsync(AccountId, "alias/doomed", CancellationToken.None));
        Assert.DoesNotContain((await _keys.ListKeysAsync(Caller, null, null, CancellationToken.None)).Value.Keys, k => k.KeyId == key.KeyId);

        var lambda = await _keys.DecryptForLambdaAsync(Root, grant: true, wrapped, FunctionArn, CancellationToken.None);
        var error = KmsErrors.ForLambdaDecrypt(lambda.Error!);
        Assert.Equal(502, error.StatusCode);
        Assert.Equal("KMSNotFoundException", error.Code);
        Assert.StartsWith("Lambda was unable to decrypt the environment variables because the KMS key was not found.", error.Message, StringComparison.Ordinal);
    }
}
