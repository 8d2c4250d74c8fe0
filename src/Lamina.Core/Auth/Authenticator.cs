using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Lamina.Core.Accounts;
using Lamina.Core.Crypto;
using Lamina.Core.Storage;

namespace Lamina.Core.Auth;

/// <summary>
/// Verifies the SigV4 signature of a request and resolves its principal. Access keys are looked up in
/// the store and their secrets opened on first use; the derived signing keys are then cached, so a
/// warm request costs one HMAC chain-free signature check.
/// </summary>
internal sealed class Authenticator(IStore store, Envelope envelope, TimeProvider time, string region)
{
    /// <summary>
    /// How long a looked-up key is trusted before the store is asked again: a deleted or deactivated key
    /// stops working within this time (IAM itself is eventually consistent over seconds).
    /// </summary>
    public static readonly TimeSpan KeyCacheLifetime = TimeSpan.FromSeconds(5);

    /// <summary>Lamina's own key for presigned code URLs; derived from the master key, never stored or shown.</summary>
    public const string ServiceAccessKeyId = "LAMINASERVICEKEY0000";

    private readonly ConcurrentDictionary<string, CachedKey> _keys = new(StringComparer.Ordinal);

    private sealed class CachedKey(AccessKeyRecord? record, string? secret, DateTimeOffset loadedAt)
    {
        public AccessKeyRecord? Record { get; } = record;
        public string? Secret { get; } = secret;
        public DateTimeOffset LoadedAt { get; } = loadedAt;
        public ConcurrentDictionary<string, byte[]> SigningKeys { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>The secret of <see cref="ServiceAccessKeyId"/>.</summary>
    public string ServiceSecret { get; } = Convert.ToBase64String(
        HMACSHA256.HashData(envelope.MasterKey.ActiveKey, "lamina-service-access-key"u8));

    public async ValueTask<(CallerIdentity? Identity, AuthProblem? Problem)> AuthenticateAsync(ISigV4Request request, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!SigV4Verifier.TryParse(request, now, region, out var signature, out var problem))
        {
            return (null, problem);
        }

        var key = await LookupAsync(signature.AccessKeyId, now, cancellationToken);
        if (key.Secret is null)
        {
            return (null, new AuthProblem(AuthFailure.UnknownAccessKey, "The security token included in the request is invalid."));
        }

        var record = key.Record;
        if (record is not null)
        {
            if (record.Status != "Active")
            {
                return (null, new AuthProblem(AuthFailure.UnknownAccessKey, "The security token included in the request is invalid."));
            }

            if (record.SessionTokenHash is not null)
            {
                if (signature.SecurityToken is null || !TokenMatches(signature.SecurityToken, record.SessionTokenHash))
                {
                    return (null, new AuthProblem(AuthFailure.InvalidToken, "The security token included in the request is invalid."));
                }

                if (record.ExpiresAt is { } expires && now >= expires)
                {
                    return (null, new AuthProblem(AuthFailure.TokenExpired, "The security token included in the request is expired"));
                }
            }
            else if (signature.SecurityToken is not null)
            {
                return (null, new AuthProblem(AuthFailure.InvalidToken, "The security token included in the request is invalid."));
            }
        }

        var scopeKey = $"{signature.ScopeDate}/{signature.Region}/{signature.Service}";
        var signingKey = key.SigningKeys.GetOrAdd(scopeKey, static (_, state) =>
            SigV4.DeriveSigningKey(state.Secret, state.Signature.ScopeDate, state.Signature.Region, state.Signature.Service),
            (Secret: key.Secret, Signature: signature));
        if (!SigV4Verifier.Verify(request, signature, signingKey))
        {
            return (null, SigV4Verifier.BadSignature);
        }

        var identity = record is null
            ? new CallerIdentity(Account.DefaultId, "arn:aws:iam::lamina:service", "LAMINA", PrincipalKind.Service, ServiceAccessKeyId)
            : new CallerIdentity(record.AccountId, record.PrincipalArn, record.PrincipalId, record.Kind, record.AccessKeyId)
            {
                SessionData = record.SessionData,
                SessionCreatedAt = record.SessionTokenHash is null ? null : record.CreatedAt,
            };
        return (identity with { SigningService = signature.Service }, null);
    }

    private static bool TokenMatches(string token, string expectedHash) =>
        CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)))),
            Encoding.ASCII.GetBytes(expectedHash));

    private async ValueTask<CachedKey> LookupAsync(string accessKeyId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_keys.TryGetValue(accessKeyId, out var cached) && now - cached.LoadedAt < KeyCacheLifetime)
        {
            return cached;
        }

        CachedKey loaded;
        if (accessKeyId == ServiceAccessKeyId)
        {
            loaded = new CachedKey(null, ServiceSecret, now);
        }
        else
        {
            var record = await store.Accounts.GetAccessKeyAsync(accessKeyId, cancellationToken);
            var secret = record is null ? null : envelope.OpenString(record.SealedSecret, AccessKeyRecord.SecretContext(record.AccessKeyId));
            loaded = new CachedKey(record, secret, now);
        }

        // Unknown keys are cached too (as a miss), so a flood of bad keys cannot hammer the store; the
        // cache is bounded (about 50,000 entries, a few MB) so that flood cannot exhaust memory either.
        if (_keys.Count >= 50_000)
        {
            _keys.Clear();
        }

        _keys[accessKeyId] = loaded;
        return loaded;
    }

    /// <summary>Drops a key from the cache at once (after a delete or deactivation in this process).</summary>
    public void Forget(string accessKeyId) => _keys.TryRemove(accessKeyId, out _);
}
