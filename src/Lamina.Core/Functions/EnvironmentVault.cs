using System.Security.Cryptography;
using System.Text.Json;
using Lamina.Core.Accounts;
using Lamina.Core.Api.Lambda;
using Lamina.Core.Auth;
using Lamina.Core.Crypto;
using Lamina.Core.Errors;
using Lamina.Core.Invoke;
using Lamina.Core.Kms;
using Lamina.Core.Storage;

namespace Lamina.Core.Functions;

/// <summary>
/// Seals, shows and opens functions' environment variables under KMS keys (<see cref="EnvironmentCipher"/>).
/// </summary>
/// <remarks>
/// (1) Create/UpdateFunctionConfiguration: the function's key (KMSKeyArn, or alias/aws/lambda) is checked for
///     the caller, a fresh data key is generated under it, and the variables are sealed for $LATEST.
/// (2) PublishVersion: the data key is opened under the function's grant and the variables re-sealed for the
///     new version number (same data key, fresh nonce), so each version's ciphertext names its version.
/// (3) Readers (GetFunction, ListFunctions, ...) see the variables only if they may kms:Decrypt through Lambda;
///     otherwise <c>Environment.Error</c> says why, as AWS does.
/// (4) A cold start opens them with the execution role under the function's grant; a refusal is Lambda's 502
///     KMS*Exception for the invoke.
/// Pre-KMS data (a master-key envelope) is read as before and re-sealed under KMS by the next update that sets
/// variables or changes the key; publishing copies it unchanged.
/// </remarks>
internal sealed class EnvironmentVault(Envelope envelope, KeyService keys, ControlPlaneOptions options) : IEnvironmentSecrets
{
    /// <summary>Keys the digests and content hashes: a derivative of the master key, so they cannot confirm guessed secrets.</summary>
    public byte[] HashKey => HMACSHA256.HashData(envelope.MasterKey.ActiveKey, "lamina-content-hash"u8);

    /// <summary>(1) New variables (null: none, but the key is still checked) sealed under the function's key.</summary>
    public async Task<Outcome<UnlockedEnvironment>> NewAsync(CallerIdentity caller, string accountId, string functionName, string? kmsKeyArn,
        Dictionary<string, string>? variables, CancellationToken cancellationToken)
    {
        var functionArn = Arns.Function(options.Region, accountId, functionName);
        if (variables is null && kmsKeyArn is null)
        {
            return UnlockedEnvironment.None;
        }

        var key = await keys.KeyForFunctionAsync(caller, accountId, kmsKeyArn, functionArn, cancellationToken);
        if (!key.TryGetValue(out var kmsKey, out var error))
        {
            return error;
        }

        if (variables is null)
        {
            return UnlockedEnvironment.None;
        }

        var (dataKey, wrapped) = keys.GenerateDataKeyForLambda(kmsKey, functionArn);
        var json = Serialize(variables);
        return new UnlockedEnvironment(dataKey, wrapped, EnvironmentCipher.Digest(HashKey, json), json, null);
    }

    /// <summary>(2) A version's variables, opened under the function's grant to be re-sealed (publish, key change).</summary>
    public async Task<Outcome<UnlockedEnvironment>> UnlockAsync(CallerIdentity principal, FunctionVersionRecord version, CancellationToken cancellationToken)
    {
        var sealedBytes = version.SealedEnvironment;
        if (sealedBytes is null)
        {
            return UnlockedEnvironment.None;
        }

        if (!EnvironmentCipher.TryParse(sealedBytes, out var wrapped, out var digest))
        {
            var legacy = envelope.OpenString(sealedBytes, FunctionService.EnvironmentContext(version.AccountId, version.FunctionName));
            return new UnlockedEnvironment(null, [], EnvironmentCipher.Digest(HashKey, legacy), legacy, sealedBytes);
        }

        var functionArn = Arns.Function(options.Region, version.AccountId, version.FunctionName);
        var dataKey = await keys.DecryptForLambdaAsync(principal, grant: true, wrapped, functionArn, cancellationToken);
        if (!dataKey.TryGetValue(out var plainKey, out var error))
        {
            return KmsErrors.ForLambdaDecrypt(error);
        }

        var json = EnvironmentCipher.Open(plainKey, sealedBytes, functionArn, version.Version)
                   ?? throw new CryptographicException($"The environment of {functionArn}:{version.Version} does not open under its data key.");
        return new UnlockedEnvironment(plainKey, wrapped, digest, json, null);
    }

    /// <summary>(3) The Environment member of a configuration shown to <paramref name="caller"/>.</summary>
    public async Task<EnvironmentShape?> ShowAsync(CallerIdentity caller, FunctionVersionRecord version, CancellationToken cancellationToken)
    {
        var sealedBytes = version.SealedEnvironment;
        if (sealedBytes is null)
        {
            return null;
        }

        if (!EnvironmentCipher.TryParse(sealedBytes, out var wrapped, out _))
        {
            return new EnvironmentShape { Variables = Deserialize(envelope.OpenString(sealedBytes, FunctionService.EnvironmentContext(version.AccountId, version.FunctionName))) };
        }

        var functionArn = Arns.Function(options.Region, version.AccountId, version.FunctionName);
        var dataKey = await keys.DecryptForLambdaAsync(caller, grant: false, wrapped, functionArn, cancellationToken);
        if (!dataKey.TryGetValue(out var plainKey, out var error))
        {
            return new EnvironmentShape { Error = KmsErrors.ForEnvironmentError(error) };
        }

        try
        {
            var json = EnvironmentCipher.Open(plainKey, sealedBytes, functionArn, version.Version);
            return json is null
                ? new EnvironmentShape { Error = KmsErrors.ForEnvironmentError(KmsErrors.InvalidCiphertext()) }
                : new EnvironmentShape { Variables = Deserialize(json) };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plainKey);
        }
    }

    /// <summary>(4) Opens a version's variables for a new environment, as its execution role under the function's grant.</summary>
    public async Task<Outcome<IReadOnlyDictionary<string, string>>> OpenAsync(EnvironmentSpec spec, CancellationToken cancellationToken)
    {
        if (spec.SealedEnvironment is null)
        {
            return new Dictionary<string, string>();
        }

        var record = new FunctionVersionRecord
        {
            AccountId = spec.Key.AccountId,
            FunctionName = spec.Key.FunctionName,
            Version = spec.Key.Version,
            Config = spec.Config,
            SealedEnvironment = spec.SealedEnvironment,
            CodeBlobId = spec.CodeBlobId,
            ContentHash = "",
        };
        var unlocked = await UnlockAsync(RoleSession(spec), record, cancellationToken);
        if (!unlocked.TryGetValue(out var environment, out var error))
        {
            return error;
        }

        using (environment)
        {
            return Deserialize(environment.Json!);
        }
    }

    /// <summary>The digest of a version's variables without decrypting them (only the pre-KMS format is opened, locally).</summary>
    public byte[]? DigestOf(FunctionVersionRecord version)
    {
        var sealedBytes = version.SealedEnvironment;
        if (sealedBytes is null)
        {
            return null;
        }

        return EnvironmentCipher.TryParse(sealedBytes, out _, out var digest)
            ? digest
            : EnvironmentCipher.Digest(HashKey, envelope.OpenString(sealedBytes, FunctionService.EnvironmentContext(version.AccountId, version.FunctionName)));
    }

    public static Dictionary<string, string> Deserialize(string json) => JsonSerializer.Deserialize(json, LambdaJson.Default.DictionaryStringString) ?? [];

    private static string Serialize(Dictionary<string, string> variables) => JsonSerializer.Serialize(variables, LambdaJson.Default.DictionaryStringString);

    /// <summary>The execution role's session for this function, the principal that decrypts at a cold start (as on AWS).</summary>
    private static CallerIdentity RoleSession(EnvironmentSpec spec)
    {
        var role = spec.Config.Role ?? "";
        var roleName = role[(role.LastIndexOf('/') + 1)..];
        return new CallerIdentity(spec.Key.AccountId, $"arn:aws:sts::{spec.Key.AccountId}:assumed-role/{roleName}/{spec.Key.FunctionName}",
            spec.Key.FunctionName, PrincipalKind.AssumedRole, "")
        {
            SessionData = JsonSerializer.Serialize(new SessionInfo(role, spec.Key.FunctionName), SessionJson.Default.SessionInfo),
        };
    }
}

/// <summary>
/// A version's variables with their data key in hand, to be sealed for one or more versions. Disposing wipes
/// the data key (the JSON is an ordinary string the GC reclaims).
/// </summary>
internal sealed class UnlockedEnvironment(byte[]? dataKey, byte[] wrappedKey, byte[]? digest, string? json, byte[]? legacy) : IDisposable
{
    public static readonly UnlockedEnvironment None = new(null, [], null, null, null);

    /// <summary>The variables' JSON; null when the version has none.</summary>
    public string? Json => json;

    public byte[]? Digest => digest;

    public Dictionary<string, string>? Variables => json is null ? null : EnvironmentVault.Deserialize(json);

    /// <summary>The sealed bytes for a version of the function (pre-KMS data is copied as it is).</summary>
    public byte[]? SealFor(string functionArn, string version) =>
        legacy ?? (json is null || dataKey is null ? null : EnvironmentCipher.Seal(dataKey, wrappedKey, digest!, json, functionArn, version));

    public void Dispose()
    {
        if (dataKey is not null)
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }
}
