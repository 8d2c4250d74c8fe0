using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lamina.Core.Api.Lambda;
using Lamina.Core.Code;
using Lamina.Core.Crypto;
using Lamina.Core.Errors;
using Lamina.Core.Storage;

namespace Lamina.Core.Functions;

/// <summary>
/// The Lambda control plane for functions: create, read, update, publish, delete, aliases, tags and
/// concurrency settings. Expected failures come back as <see cref="AwsError"/> values; the store is
/// the only state, so several front doors can share it.
/// </summary>
internal sealed partial class FunctionService(
    IStore store,
    CodeStore code,
    Envelope envelope,
    RuntimeCatalog runtimes,
    Iam.ExecutionRoles roles,
    ControlPlaneOptions options,
    TimeProvider time)
{
    /// <summary>
    /// How often an update that names no RevisionId re-reads and retries after another writer changed the
    /// resource between its read and its conditional write. Each round one writer commits, so this rides
    /// out that many concurrent updates; past it the caller gets AWS's "update is in progress" conflict,
    /// never a RevisionId mismatch it did not ask for.
    /// </summary>
    private const int RaceRetries = 16;

    private IFunctionStore Functions => store.Functions;

    /// <summary>Raised after a function (version null) or one of its versions is deleted: its environments must go.</summary>
    public event Action<string, string, string?>? Deleted;

    public string Region => options.Region;

    /// <summary>The sealing context of a function's environment variables.</summary>
    public static string EnvironmentContext(string accountId, string functionName) => $"env:{accountId}:{functionName}";

    /// <summary>Opens a version's environment variables (null when none were configured).</summary>
    public Dictionary<string, string>? OpenEnvironment(FunctionVersionRecord version)
    {
        if (version.SealedEnvironment is null)
        {
            return null;
        }

        var json = envelope.OpenString(version.SealedEnvironment, EnvironmentContext(version.AccountId, version.FunctionName));
        return JsonSerializer.Deserialize(json, LambdaJson.Default.DictionaryStringString);
    }

    /// <summary>Opens sealed environment variables for a new environment (the only time they are decrypted).</summary>
    public IReadOnlyDictionary<string, string> OpenEnvironmentOf(string accountId, string functionName, byte[]? sealedEnvironment)
    {
        if (sealedEnvironment is null)
        {
            return new Dictionary<string, string>();
        }

        var json = envelope.OpenString(sealedEnvironment, EnvironmentContext(accountId, functionName));
        return JsonSerializer.Deserialize(json, LambdaJson.Default.DictionaryStringString) ?? [];
    }

    private byte[]? SealEnvironment(string accountId, string functionName, Dictionary<string, string>? variables) =>
        variables is null
            ? null
            : envelope.Seal(JsonSerializer.Serialize(variables, LambdaJson.Default.DictionaryStringString), EnvironmentContext(accountId, functionName));

    /// <summary>
    /// A keyed hash of what PublishVersion compares: configuration (without per-version fields),
    /// code and environment. Keyed with a master-key derivative so it cannot confirm guessed secrets.
    /// </summary>
    private string ContentHash(FunctionConfiguration config, Dictionary<string, string>? environment)
    {
        var stable = config with
        {
            FunctionArn = null,
            Version = null,
            LastModified = null,
            RevisionId = null,
            Description = null,
            State = null,
            StateReason = null,
            StateReasonCode = null,
            LastUpdateStatus = null,
            LastUpdateStatusReason = null,
            LastUpdateStatusReasonCode = null,
            Environment = null,
        };
        var text = JsonSerializer.Serialize(stable, LambdaJson.Default.FunctionConfiguration) + "\n" +
                   (environment is null ? "-" : JsonSerializer.Serialize(environment, LambdaJson.Default.DictionaryStringString));
        var key = HMACSHA256.HashData(envelope.MasterKey.ActiveKey, "lamina-content-hash"u8);
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The configuration as a reader sees it: environment opened, ARN qualified as requested.</summary>
    public FunctionConfiguration Present(FunctionVersionRecord version, string? requestedQualifier, bool forList = false)
    {
        var variables = OpenEnvironment(version);
        var arn = Arns.Function(options.Region, version.AccountId, version.FunctionName, requestedQualifier);
        var environment = variables is null ? null : new EnvironmentShape { Variables = variables };
        // One copy per item either way: ListFunctions presents 50 configurations per page.
        return forList
            ? version.Config with
            {
                FunctionArn = arn,
                Environment = environment,
                State = null,
                StateReason = null,
                StateReasonCode = null,
                LastUpdateStatus = null,
                LastUpdateStatusReason = null,
                LastUpdateStatusReasonCode = null,
                RuntimeVersionConfig = null,
            }
            : version.Config with { FunctionArn = arn, Environment = environment };
    }

    /// <summary>
    /// Resolves a target to the version it names: no qualifier or <c>$LATEST</c> is $LATEST, digits are
    /// a published version, anything else an alias (its primary version).
    /// </summary>
    public async Task<Outcome<(FunctionVersionRecord Version, AliasRecord? Alias)>> ResolveAsync(FunctionTarget target, CancellationToken cancellationToken)
    {
        var qualifier = target.Qualifier ?? FunctionVersions.Latest;
        if (qualifier == FunctionVersions.Latest || IsVersionNumber(qualifier))
        {
            var version = await Functions.GetVersionAsync(target.AccountId, target.Name, qualifier, cancellationToken);
            return version is null
                ? LambdaErrors.FunctionNotFound(target.Arn(options.Region))
                : (version, null);
        }

        var alias = await Functions.GetAliasAsync(target.AccountId, target.Name, qualifier, cancellationToken);
        if (alias is null)
        {
            return LambdaErrors.FunctionNotFound(target.Arn(options.Region));
        }

        var aliased = await Functions.GetVersionAsync(target.AccountId, target.Name, alias.Config.FunctionVersion!, cancellationToken);
        return aliased is null
            ? LambdaErrors.FunctionNotFound(target.Arn(options.Region))
            : (aliased, alias);
    }

    public static bool IsVersionNumber(string qualifier) => qualifier.Length > 0 && qualifier.All(char.IsAsciiDigit);

    private static AwsError? Unqualified(FunctionTarget target, string message) =>
        target.Qualifier is null ? null : LambdaErrors.InvalidParameter(message);

    private void ReleaseOrphans(WriteResult result) => code.Release(result.OrphanedBlobs);

    private static int ClampPage(int? maxItems, int max = 50) => maxItems is null ? max : Math.Min(maxItems.Value, max);

    private static string EncodeMarker(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value));

    private static string? DecodeMarker(string? marker)
    {
        if (string.IsNullOrEmpty(marker))
        {
            return null;
        }

        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(marker));
        }
        catch (FormatException)
        {
            return "\uFFFF";
        }
    }
}
