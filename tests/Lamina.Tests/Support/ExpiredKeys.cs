using System.Security.Cryptography;
using System.Text;
using Lamina.Core.Accounts;
using Lamina.Core.Crypto;
using Lamina.Core.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Lamina.Tests.Support;

/// <summary>Temporary credentials that expired an hour ago, written straight into a fixture's store (no 15-minute wait).</summary>
public static class ExpiredKeys
{
    public static async Task<(string AccessKeyId, string Secret, string Token)> CreateAsync(LaminaFixture fixture)
    {
        var services = fixture.Server.Services;
        var accessKeyId = "ASIA" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(30));
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        await services.GetRequiredService<IStore>().Accounts.PutAccessKeyAsync(new AccessKeyRecord
        {
            AccessKeyId = accessKeyId,
            AccountId = Account.DefaultId,
            Kind = PrincipalKind.AssumedRole,
            PrincipalArn = $"arn:aws:sts::{Account.DefaultId}:assumed-role/gone/s",
            PrincipalId = "AROAEXAMPLEEXAMPLE01:s",
            SealedSecret = services.GetRequiredService<Envelope>().Seal(secret, AccessKeyRecord.SecretContext(accessKeyId)),
            CreatedAt = DateTimeOffset.UtcNow.AddHours(-2),
            ExpiresAt = DateTimeOffset.UtcNow.AddHours(-1),
            SessionTokenHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token))),
        }, CancellationToken.None);
        return (accessKeyId, secret, token);
    }
}
