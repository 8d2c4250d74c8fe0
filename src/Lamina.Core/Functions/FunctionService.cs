using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lamina.Core.Api.Lambda;
using Lamina.Core.Auth;
using Lamina.Core.Code;
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
    EnvironmentVault vault,
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

    /// <summary>ListFunctions items without environment, by the stored configuration they present (see <see cref="Present"/>).</summary>
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<FunctionConfiguration, FunctionConfiguration> _listed = [];

    private IFunctionStore Functions => store.Functions;

    /// <summary>Raised after a function (version null) or one of its versions is deleted: its environments must go.</summary>
    public event Action<string, string, string?>? Deleted;

    /// <summary>
    /// Raised after $LATEST got a new revision (configuration or code): the older revision's idle environments can go now,
    /// instead of on the new revision's first invoke, whose cold start would pay for their teardown.
    /// </summary>
    public event Action<string, string, string>? LatestUpdated;

    public string Region => options.Region;

    /// <summary>The sealing context of a function's environment variables in the pre-KMS format (still read).</summary>
    public static string EnvironmentContext(string accountId, string functionName) => $"env:{accountId}:{functionName}";

    /// <summary>
    /// A keyed hash of what PublishVersion compares: configuration (without per-version fields), code and the
    /// environment's digest. Keyed with a master-key derivative so it cannot confirm guessed secrets.
    /// </summary>
    private string ContentHash(FunctionConfiguration config, byte[]? environmentDigest)
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
                   (environmentDigest is null ? "-" : Convert.ToHexStringLower(environmentDigest));
        return Convert.ToHexStringLower(HMACSHA256.HashData(vault.HashKey, Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The configuration as <paramref name="caller"/> sees it: environment opened if it may, ARN qualified as requested.</summary>
    public async Task<FunctionConfiguration> PresentAsync(CallerIdentity caller, FunctionVersionRecord version, string? requestedQualifier,
        CancellationToken cancellationToken, bool forList = false) =>
        Present(version, requestedQualifier, await vault.ShowAsync(caller, version, cancellationToken), forList);

    /// <summary>The configuration with the given environment (a writer already holds its plaintext).</summary>
    private FunctionConfiguration Present(FunctionVersionRecord version, string? requestedQualifier, EnvironmentShape? environment, bool forList = false)
    {
        if (!forList)
        {
            return version.Config with { FunctionArn = Arns.Function(options.Region, version.AccountId, version.FunctionName, requestedQualifier), Environment = environment };
        }

        if (environment is not null || requestedQualifier is not null)
        {
            return Listed(version, requestedQualifier, environment);
        }

        // A ListFunctions item without environment is the same for every caller: presented once per stored
        // configuration (the store hands out one instance per row revision), and its JSON written once.
        return _listed.GetValue(version.Config, _ =>
        {
            var item = Listed(version, null, null);
            ListedConfigurationsConverter.MarkReusable(item);
            return item;
        });
    }

    private FunctionConfiguration Listed(FunctionVersionRecord version, string? requestedQualifier, EnvironmentShape? environment) =>
        version.Config with
        {
            FunctionArn = Arns.Function(options.Region, version.AccountId, version.FunctionName, requestedQualifier),
            Environment = environment,
            State = null,
            StateReason = null,
            StateReasonCode = null,
            LastUpdateStatus = null,
            LastUpdateStatusReason = null,
            LastUpdateStatusReasonCode = null,
            RuntimeVersionConfig = null,
        };

    private static EnvironmentShape? Shown(Dictionary<string, string>? variables) => variables is null ? null : new EnvironmentShape { Variables = variables };

    /// <summary>Presents each record of a page to the caller, in order.</summary>
    private async Task<List<FunctionConfiguration>> PresentAllAsync(CallerIdentity caller, IEnumerable<FunctionVersionRecord> records,
        Func<FunctionVersionRecord, string?> qualifier, CancellationToken cancellationToken)
    {
        var items = new List<FunctionConfiguration>();
        foreach (var record in records)
        {
            items.Add(await PresentAsync(caller, record, qualifier(record), cancellationToken, forList: true));
        }

        return items;
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
