using System.Text;
using System.Text.RegularExpressions;
using Lamina.Core.Api.Lambda;
using Lamina.Core.Code;
using Lamina.Core.Errors;
using Lamina.Core.Functions;
using Lamina.Core.Storage;

namespace Lamina.Core.Layers;

/// <summary>Layers: publish, read, list and delete layer versions (the zip content lives in <see cref="CodeStore"/>).</summary>
internal sealed partial class LayerService(IStore store, CodeStore code, RuntimeCatalog runtimes, ControlPlaneOptions options, TimeProvider time)
{
    public const string LayerNamePattern = @"(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+";
    public const string LayerVersionArnPattern = @"arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+";

    [GeneratedRegex(@"^(?:arn:[a-zA-Z0-9-]+:lambda:(?<region>[a-zA-Z0-9-]+):(?<account>\d{12}):layer:(?<name>[a-zA-Z0-9-_]+)|(?<name>[a-zA-Z0-9-_]+))$")]
    private static partial Regex LayerNameRegex();

    [GeneratedRegex(@"^arn:(aws[a-zA-Z-]*)?:lambda:(?<region>[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}):(?<account>\d{12}):layer:(?<name>[a-zA-Z0-9-_]+):(?<version>[0-9]+)$")]
    private static partial Regex LayerVersionArnRegex();

    private static readonly IReadOnlyList<string> Architectures = ["x86_64", "arm64"];

    /// <summary>Splits a layer name or layer ARN into (account, name), checking the model pattern and region.</summary>
    public Outcome<(string Account, string Name)> ParseName(string layerName, string callerAccount)
    {
        var v = new Violations();
        v.Length(layerName, "layerName", 1, 140);
        var match = LayerNameRegex().Match(layerName);
        if (!match.Success)
        {
            v.Add(layerName, "layerName", $"Member must satisfy regular expression pattern: {LayerNamePattern}");
        }

        if (v.ToError() is { } error)
        {
            return error;
        }

        if (match.Groups["region"].Success && match.Groups["region"].Value != options.Region)
        {
            return LambdaErrors.InvalidParameter($"Layers are expected to be in region {options.Region}.");
        }

        var account = match.Groups["account"].Success ? match.Groups["account"].Value : callerAccount;
        return (account, match.Groups["name"].Value);
    }

    public async Task<Outcome<LayerVersionResponse>> PublishAsync(string callerAccount, string layerName, PublishLayerVersionRequest request,
        ICodeUrlSigner signer, CancellationToken cancellationToken)
    {
        var v = new Violations();
        v.Required(request.Content, "content");
        v.Length(request.Description, "description", 0, 256);
        v.Length(request.LicenseInfo, "licenseInfo", 0, 512);
        if (request.CompatibleRuntimes is { } rts)
        {
            if (rts.Count > 15)
            {
                v.Add(rts, "compatibleRuntimes", "Member must have length less than or equal to 15");
            }
            else if (rts.Any(r => !RuntimeCatalog.ModelRuntimes.Contains(r)))
            {
                v.Add(rts, "compatibleRuntimes", $"Member must satisfy enum value set: [{string.Join(", ", runtimes.Names)}]");
            }
        }

        if (request.CompatibleArchitectures is { } archs)
        {
            if (archs.Count > 2)
            {
                v.Add(archs, "compatibleArchitectures", "Member must have length less than or equal to 2");
            }
            else if (archs.Any(a => !Architectures.Contains(a)))
            {
                v.Add(archs, "compatibleArchitectures", "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]");
            }
        }

        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        var parsed = ParseName(layerName, callerAccount);
        if (!parsed.TryGetValue(out var name, out var nameError))
        {
            return nameError;
        }

        if (name.Account != callerAccount)
        {
            return LambdaErrors.AccessDenied($"Layers can only be published in the caller's account ({callerAccount}).");
        }

        var content = request.Content!;
        if (content.S3Bucket is not null || content.S3Key is not null)
        {
            return LambdaErrors.InvalidParameter(
                "Lamina does not read layer content from S3 (S3Bucket/S3Key). Upload the .zip directly as Content.ZipFile, e.g. 'aws lambda publish-layer-version --zip-file fileb://layer.zip'.");
        }

        if (content.ZipFile is null)
        {
            return LambdaErrors.InvalidParameter("Please provide a source for layer content: Content.ZipFile.");
        }

        for (var attempt = 0; ; attempt++)
        {
            var staged = await code.StageAsync(callerAccount, content.ZipFile, cancellationToken);
            if (!staged.TryGetValue(out var claim, out var stageError))
            {
                return stageError;
            }

            if (attempt > 0 && !claim.IsNew)
            {
                claim = await code.StageNewAsync(callerAccount, content.ZipFile, claim.Blob.Sha256, claim.Blob.UnzippedSize, cancellationToken);
            }

            var now = time.GetUtcNow();
            var (result, record) = await store.Layers.PublishAsync(callerAccount, name.Name, claim, number => new LayerVersionRecord
            {
                AccountId = callerAccount,
                LayerName = name.Name,
                Version = number,
                CodeBlobId = claim.Blob.Id,
                UnzippedSize = claim.Blob.UnzippedSize,
                Info = new LayerVersionResponse
                {
                    LayerArn = Arns.Layer(options.Region, callerAccount, name.Name),
                    LayerVersionArn = Arns.LayerVersion(options.Region, callerAccount, name.Name, number),
                    Description = request.Description ?? "",
                    CreatedDate = LambdaTime.Format(now),
                    Version = number,
                    CompatibleRuntimes = request.CompatibleRuntimes,
                    CompatibleArchitectures = request.CompatibleArchitectures,
                    LicenseInfo = request.LicenseInfo,
                    Content = new LayerVersionContentOutput { CodeSha256 = claim.Blob.Sha256, CodeSize = claim.Blob.Size },
                },
            }, cancellationToken);
            code.Release(result.OrphanedBlobs);
            switch (result.Status)
            {
                case WriteStatus.Ok:
                    return WithLocation(record!, signer);
                case WriteStatus.BlobGone when attempt < 3:
                    continue;
                default:
                    return LambdaErrors.Service($"Could not publish layer {name.Name} ({result.Status}).");
            }
        }
    }

    public async Task<Outcome<LayerVersionResponse>> GetVersionAsync(string callerAccount, string layerName, long version, ICodeUrlSigner signer,
        CancellationToken cancellationToken)
    {
        if (version < 1)
        {
            return LambdaErrors.InvalidParameter("Layer Version Cannot be less than 1");
        }

        var parsed = ParseName(layerName, callerAccount);
        if (!parsed.TryGetValue(out var name, out var error))
        {
            return error;
        }

        var record = await store.Layers.GetVersionAsync(name.Account, name.Name, version, cancellationToken);
        return record is null ? LambdaErrors.LayerVersionNotFound() : WithLocation(record, signer);
    }

    public async Task<Outcome<LayerVersionResponse>> GetVersionByArnAsync(string callerAccount, string? arn, ICodeUrlSigner signer,
        CancellationToken cancellationToken)
    {
        var v = new Violations();
        v.Required(arn, "arn");
        v.Length(arn, "arn", 1, 140);
        v.Pattern(arn, "arn", LayerVersionArnRegex(), LayerVersionArnPattern);
        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        var match = LayerVersionArnRegex().Match(arn!);
        if (match.Groups["region"].Value != options.Region)
        {
            return LambdaErrors.InvalidParameter($"Layers are expected to be in region {options.Region}.");
        }

        var version = long.Parse(match.Groups["version"].Value, System.Globalization.CultureInfo.InvariantCulture);
        var layerArn = arn![..arn!.LastIndexOf(':')];
        return await GetVersionAsync(callerAccount, layerArn, version, signer, cancellationToken);
    }

    public async Task<Outcome<ListLayerVersionsResponse>> ListVersionsAsync(string callerAccount, string layerName, string? runtime,
        string? architecture, string? marker, int? maxItems, CancellationToken cancellationToken)
    {
        var v = new Violations();
        v.Range(maxItems, "maxItems", 1, 50);
        CheckFilters(v, runtime, architecture);
        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        var parsed = ParseName(layerName, callerAccount);
        if (!parsed.TryGetValue(out var name, out var error))
        {
            return error;
        }

        long? before = null;
        if (!string.IsNullOrEmpty(marker))
        {
            if (!long.TryParse(Decode(marker), out var decoded))
            {
                return LambdaErrors.InvalidParameter("Invalid Marker: pass the NextMarker of the previous page unchanged.");
            }

            before = decoded;
        }

        var limit = maxItems ?? 50;
        var items = new List<LayerVersionsListItem>();
        string? next = null;
        while (items.Count < limit)
        {
            var page = await store.Layers.ListVersionsAsync(name.Account, name.Name, before, limit, cancellationToken);
            foreach (var record in page)
            {
                before = record.Version;
                if (Matches(record, runtime, architecture))
                {
                    items.Add(ListItem(record));
                    if (items.Count == limit)
                    {
                        break;
                    }
                }
            }

            if (page.Count < limit)
            {
                before = null;
                break;
            }
        }

        if (items.Count == limit && before is { } last &&
            (await store.Layers.ListVersionsAsync(name.Account, name.Name, last, 1, cancellationToken)).Count > 0)
        {
            next = Encode(last.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return new ListLayerVersionsResponse { LayerVersions = items, NextMarker = next };
    }

    public async Task<Outcome<ListLayersResponse>> ListAsync(string callerAccount, string? runtime, string? architecture, string? marker, int? maxItems,
        CancellationToken cancellationToken)
    {
        var v = new Violations();
        v.Range(maxItems, "maxItems", 1, 50);
        CheckFilters(v, runtime, architecture);
        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        var limit = maxItems ?? 50;
        var after = string.IsNullOrEmpty(marker) ? null : Decode(marker);
        var items = new List<LayersListItem>();
        var exhausted = false;
        while (items.Count < limit && !exhausted)
        {
            var page = await store.Layers.ListLatestAsync(callerAccount, after, limit, cancellationToken);
            exhausted = page.Count < limit;
            foreach (var latest in page)
            {
                after = latest.LayerName;
                var match = runtime is null && architecture is null ? latest : await LatestMatchingAsync(latest, runtime, architecture, cancellationToken);
                if (match is not null)
                {
                    items.Add(new LayersListItem
                    {
                        LayerName = latest.LayerName,
                        LayerArn = latest.Info.LayerArn,
                        LatestMatchingVersion = ListItem(match),
                    });
                    if (items.Count == limit)
                    {
                        break;
                    }
                }
            }
        }

        string? next = null;
        if (items.Count == limit && after is not null && (await store.Layers.ListLatestAsync(callerAccount, after, 1, cancellationToken)).Count > 0)
        {
            next = Encode(after);
        }

        return new ListLayersResponse { Layers = items, NextMarker = next };
    }

    public async Task<AwsError?> DeleteVersionAsync(string callerAccount, string layerName, long version, CancellationToken cancellationToken)
    {
        if (version < 1)
        {
            return LambdaErrors.InvalidParameter("Layer Version Cannot be less than 1");
        }

        var parsed = ParseName(layerName, callerAccount);
        if (!parsed.TryGetValue(out var name, out var error))
        {
            return error;
        }

        if (name.Account != callerAccount)
        {
            return LambdaErrors.AccessDenied($"Layers can only be deleted in the caller's account ({callerAccount}).");
        }

        // Functions that use the version keep their copy: the blob stays while any version references it.
        var result = await store.Layers.DeleteVersionAsync(name.Account, name.Name, version, cancellationToken);
        code.Release(result.OrphanedBlobs);
        return null;
    }

    private async Task<LayerVersionRecord?> LatestMatchingAsync(LayerVersionRecord latest, string? runtime, string? architecture,
        CancellationToken cancellationToken)
    {
        long? before = null;
        while (true)
        {
            var page = await store.Layers.ListVersionsAsync(latest.AccountId, latest.LayerName, before, 50, cancellationToken);
            foreach (var record in page)
            {
                if (Matches(record, runtime, architecture))
                {
                    return record;
                }

                before = record.Version;
            }

            if (page.Count < 50)
            {
                return null;
            }
        }
    }

    private static void CheckFilters(Violations v, string? runtime, string? architecture)
    {
        v.Enum(runtime, "compatibleRuntime", (IReadOnlyCollection<string>)RuntimeCatalog.ModelRuntimes);
        v.Enum(architecture, "compatibleArchitecture", (IReadOnlyCollection<string>)Architectures);
    }

    private static bool Matches(LayerVersionRecord record, string? runtime, string? architecture) =>
        (runtime is null || record.Info.CompatibleRuntimes?.Contains(runtime) == true) &&
        (architecture is null || record.Info.CompatibleArchitectures?.Contains(architecture) == true);

    private static LayerVersionsListItem ListItem(LayerVersionRecord record) => new()
    {
        LayerVersionArn = record.Info.LayerVersionArn,
        Version = record.Version,
        Description = record.Info.Description,
        CreatedDate = record.Info.CreatedDate,
        CompatibleRuntimes = record.Info.CompatibleRuntimes,
        LicenseInfo = record.Info.LicenseInfo,
        CompatibleArchitectures = record.Info.CompatibleArchitectures,
    };

    private static LayerVersionResponse WithLocation(LayerVersionRecord record, ICodeUrlSigner signer) => record.Info with
    {
        Content = record.Info.Content! with { Location = signer.Presign(record.CodeBlobId) },
    };

    private static string Encode(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value));

    private static string? Decode(string marker)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(marker));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
