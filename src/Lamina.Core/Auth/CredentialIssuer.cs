using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lamina.Core.Accounts;
using Lamina.Core.Crypto;
using Lamina.Core.Storage;

namespace Lamina.Core.Auth;

/// <summary>Temporary credentials as handed to a function or an STS caller.</summary>
internal sealed record TemporaryCredentials(string AccessKeyId, string SecretAccessKey, string SessionToken, DateTimeOffset Expiration, string PrincipalArn);

/// <summary>
/// Mints short-lived credentials for a role session (STS-style: <c>ASIA</c> key, secret, session
/// token, expiry). They are stored like any key — secret sealed, token kept only as a hash — so SigV4
/// verifies them and they stop working when they expire.
/// </summary>
internal sealed class CredentialIssuer(IStore store, Envelope envelope, TimeProvider time)
{
    /// <summary>A role session for a role known only by its ARN (an execution role): its unique id is derived from the ARN.</summary>
    public Task<TemporaryCredentials> IssueAsync(string accountId, string roleArn, string sessionName, TimeSpan lifetime,
        string? sessionData, CancellationToken cancellationToken) =>
        IssueAsync(accountId, roleArn, null, sessionName, lifetime, sessionData, cancellationToken);

    /// <summary>A role session (AssumeRole): ARN <c>arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION</c>, unique id <c>ROLEID:SESSION</c>.</summary>
    /// <param name="roleId">The role's unique id (<c>AROA...</c>); null derives a stable one from the ARN.</param>
    public Task<TemporaryCredentials> IssueAsync(string accountId, string roleArn, string? roleId, string sessionName, TimeSpan lifetime,
        string? sessionData, CancellationToken cancellationToken)
    {
        var roleName = roleArn[(roleArn.LastIndexOf('/') + 1)..];
        var principalArn = $"arn:aws:sts::{accountId}:assumed-role/{roleName}/{sessionName}";
        roleId ??= $"AROA{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(roleArn)))[..17]}";
        return IssueAsync(accountId, PrincipalKind.AssumedRole, principalArn, $"{roleId}:{sessionName}", lifetime,
            sessionData ?? JsonSerializer.Serialize(new SessionInfo(roleArn, sessionName), SessionJson.Default.SessionInfo), cancellationToken);
    }

    /// <summary>
    /// GetSessionToken: a temporary key that speaks for the calling user (or root) itself, with the same
    /// ARN and unique id; its <see cref="SessionInfo.SourceArn"/> marks it as a session.
    /// </summary>
    public Task<TemporaryCredentials> IssueSessionTokenAsync(CallerIdentity caller, TimeSpan lifetime, CancellationToken cancellationToken) =>
        IssueAsync(caller.AccountId, caller.Kind, caller.Arn, caller.PrincipalId, lifetime,
            JsonSerializer.Serialize(new SessionInfo(null, "", SourceArn: caller.Arn), SessionJson.Default.SessionInfo), cancellationToken);

    private async Task<TemporaryCredentials> IssueAsync(string accountId, PrincipalKind kind, string principalArn, string principalId,
        TimeSpan lifetime, string sessionData, CancellationToken cancellationToken)
    {
        var akid = SigV4Signer.NewAccessKeyId("ASIA");
        var secret = SigV4Signer.NewSecretAccessKey();
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(96));
        var now = time.GetUtcNow();
        var expires = now + lifetime;
        var record = new AccessKeyRecord
        {
            AccessKeyId = akid,
            AccountId = accountId,
            Kind = kind,
            PrincipalArn = principalArn,
            PrincipalId = principalId,
            SealedSecret = envelope.Seal(secret, AccessKeyRecord.SecretContext(akid)),
            CreatedAt = now,
            ExpiresAt = expires,
            SessionTokenHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token))),
            SessionData = sessionData,
        };
        await store.Accounts.PutAccessKeyAsync(record, cancellationToken);
        return new TemporaryCredentials(akid, secret, token, expires, principalArn);
    }
}

/// <summary>What a temporary key stands for, kept with the key (JSON in <c>AccessKeyRecord.SessionData</c>).</summary>
/// <param name="RoleArn">The assumed role; null for GetSessionToken sessions of a user.</param>
/// <param name="SessionPolicies">Policy documents passed at AssumeRole (inline Policy and PolicyArns resolved); they only narrow.</param>
/// <param name="Chained">Created by a role session assuming a role (role chaining: at most 1 hour).</param>
/// <param name="SourceArn">For GetSessionToken sessions: the user (or root) whose permissions the session has.</param>
internal sealed record SessionInfo(string? RoleArn, string SessionName, IReadOnlyList<string>? SessionPolicies = null, bool Chained = false,
    string? SourceArn = null);

[System.Text.Json.Serialization.JsonSerializable(typeof(SessionInfo))]
internal sealed partial class SessionJson : System.Text.Json.Serialization.JsonSerializerContext;
