using System.Security.Cryptography;
using Lamina.Core.Auth;
using Lamina.Core.Crypto;
using Lamina.Core.Storage;

namespace Lamina.Core.Accounts;

/// <summary>Credentials as handed to a user once; the store keeps only the sealed secret.</summary>
internal sealed record IssuedCredentials(string AccountId, string AccessKeyId, string SecretAccessKey, string PrincipalArn);

/// <summary>Creates accounts (tenants) with their root access key, and opens the default account's key.</summary>
internal sealed class AccountService(IStore store, Envelope envelope, TimeProvider time)
{
    public async Task<(WriteStatus Status, IssuedCredentials? Credentials)> CreateAsync(string name, string? accountId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var id = accountId ?? NewAccountId();
            var account = new Account(id, name, time.GetUtcNow());
            var (key, secret) = NewRootKey(id);
            var status = await store.Accounts.CreateAsync(account, key, cancellationToken);
            if (status == WriteStatus.Ok)
            {
                return (status, new IssuedCredentials(id, key.AccessKeyId, secret, account.RootArn));
            }

            // A random id may clash with an existing account; a chosen id or a taken name may not be retried.
            if (accountId is not null || await store.Accounts.FindByNameAsync(name, cancellationToken) is not null)
            {
                return (status, null);
            }
        }

        return (WriteStatus.AlreadyExists, null);
    }

    /// <summary>The oldest active root key of an account, opened (for writing the shared credentials file).</summary>
    public async Task<IssuedCredentials?> GetRootCredentialsAsync(string accountId, CancellationToken cancellationToken)
    {
        var keys = await store.Accounts.ListAccessKeysAsync(accountId, $"arn:aws:iam::{accountId}:root", cancellationToken);
        var key = keys.FirstOrDefault(k => k.Status == "Active");
        if (key is null)
        {
            return null;
        }

        var secret = envelope.OpenString(key.SealedSecret, AccessKeyRecord.SecretContext(key.AccessKeyId));
        return new IssuedCredentials(accountId, key.AccessKeyId, secret, key.PrincipalArn);
    }

    private (AccessKeyRecord Key, string Secret) NewRootKey(string accountId)
    {
        var akid = SigV4Signer.NewAccessKeyId("AKIA");
        var secret = SigV4Signer.NewSecretAccessKey();
        var record = new AccessKeyRecord
        {
            AccessKeyId = akid,
            AccountId = accountId,
            Kind = PrincipalKind.Root,
            PrincipalArn = $"arn:aws:iam::{accountId}:root",
            PrincipalId = accountId,
            SealedSecret = envelope.Seal(secret, AccessKeyRecord.SecretContext(akid)),
            CreatedAt = time.GetUtcNow(),
        };
        return (record, secret);
    }

    private static string NewAccountId()
    {
        // 12 digits, never the default account and never starting with 0 (avoids look-alikes of 000000000000).
        var first = RandomNumberGenerator.GetInt32(1, 10);
        var rest = RandomNumberGenerator.GetInt32(0, 100_000_000) * 1000L + RandomNumberGenerator.GetInt32(0, 1000);
        return $"{first}{rest:D11}";
    }
}
