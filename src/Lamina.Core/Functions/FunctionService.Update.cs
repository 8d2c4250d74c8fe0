using Lamina.Core.Api.Lambda;
using Lamina.Core.Auth;
using Lamina.Core.Errors;
using Lamina.Core.Storage;

namespace Lamina.Core.Functions;

internal sealed partial class FunctionService
{
    public async Task<Outcome<FunctionConfiguration>> UpdateConfigurationAsync(CallerIdentity caller, FunctionTarget target,
        UpdateFunctionConfigurationRequest request, CancellationToken cancellationToken)
    {
        var v = new Violations();
        var fields = new FunctionValidator.ConfigFields(request.Role, request.Handler, request.Description, request.Timeout, request.MemorySize,
            request.EphemeralStorage, request.TracingConfig, request.LoggingConfig, request.SnapStart, request.DurableConfig, request.Layers,
            request.Environment?.Variables);
        FunctionValidator.CheckModel(v, fields);
        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        if (Unqualified(target, "Only $LATEST can be updated; pass the function name or unqualified ARN.") is { } qualified &&
            target.Qualifier != FunctionVersions.Latest)
        {
            return qualified;
        }

        if (FirstError(
                request.Runtime is null ? null : FunctionValidator.CheckRuntime(request.Runtime, runtimes),
                FunctionValidator.CheckUnsupported(request.VpcConfig, request.FileSystemConfigs, null),
                FunctionValidator.CheckEnvironment(request.Environment?.Variables),
                FunctionValidator.CheckDeadLetter(request.DeadLetterConfig)) is { } semanticError)
        {
            return semanticError;
        }

        if (request.ImageConfig is not null)
        {
            return LambdaErrors.InvalidParameter("ImageConfig applies to container image functions, which Lamina does not support.");
        }

        if (request.Role is not null && await roles.CheckAsync(target.AccountId, request.Role, cancellationToken) is { } roleError)
        {
            return roleError;
        }

        for (var attempt = 0; ; attempt++)
        {
            var current = await Functions.GetVersionAsync(target.AccountId, target.Name, FunctionVersions.Latest, cancellationToken);
            if (current is null)
            {
                return LambdaErrors.FunctionNotFound(target.UnqualifiedArn(options.Region));
            }

            if (request.RevisionId is not null && request.RevisionId != current.RevisionId)
            {
                return LambdaErrors.RevisionMismatch();
            }

            var runtime = request.Runtime ?? current.Config.Runtime;
            if (FunctionValidator.CheckSnapStart(request.SnapStart, runtime) is { } snapError)
            {
                return snapError;
            }

            IReadOnlyList<LayerVersionRecord>? layers = null;
            if (request.Layers is not null)
            {
                var resolved = await ResolveLayersAsync(target.AccountId, request.Layers, cancellationToken);
                if (!resolved.IsSuccess)
                {
                    return resolved.Error;
                }

                layers = resolved.Value;
                var blob = await store.Blobs.GetAsync(current.CodeBlobId, cancellationToken);
                if (LayerSizeError(blob?.UnzippedSize ?? 0, layers) is { } sizeError)
                {
                    return sizeError;
                }
            }

            var old = current.Config;
            var config = old with
            {
                Role = request.Role ?? old.Role,
                Handler = request.Handler ?? old.Handler,
                Description = request.Description ?? old.Description,
                Timeout = request.Timeout ?? old.Timeout,
                MemorySize = request.MemorySize ?? old.MemorySize,
                Runtime = runtime,
                RuntimeVersionConfig = request.Runtime is null ? old.RuntimeVersionConfig : RuntimeVersion(request.Runtime),
                VpcConfig = request.VpcConfig is null ? old.VpcConfig : EmptyVpc,
                DeadLetterConfig = request.DeadLetterConfig is null ? old.DeadLetterConfig
                    : string.IsNullOrEmpty(request.DeadLetterConfig.TargetArn) ? null : request.DeadLetterConfig,
                KMSKeyArn = request.KMSKeyArn is null ? old.KMSKeyArn : request.KMSKeyArn.Length == 0 ? null : request.KMSKeyArn,
                TracingConfig = request.TracingConfig?.Mode is { } mode ? new TracingConfig { Mode = mode } : old.TracingConfig,
                Layers = layers is null ? old.Layers : LayerReferences(layers),
                EphemeralStorage = request.EphemeralStorage ?? old.EphemeralStorage,
                LoggingConfig = request.LoggingConfig is null ? old.LoggingConfig : NormalizeLogging(request.LoggingConfig, old.LoggingConfig, target.Name),
                DurableConfig = NormalizeDurable(request.DurableConfig, old.DurableConfig),
                LastModified = LambdaTime.Format(time.GetUtcNow()),
                RevisionId = LambdaTime.NewRevisionId(),
                LastUpdateStatus = "Successful",
            };
            var resealed = await ResealAsync(caller, current, request, config.KMSKeyArn, cancellationToken);
            if (!resealed.TryGetValue(out var unlocked, out var keyError))
            {
                return keyError;
            }

            using var environment = unlocked;
            var functionArn = Arns.Function(options.Region, target.AccountId, target.Name);
            var updated = current with
            {
                Config = config,
                SealedEnvironment = environment.SealFor(functionArn, FunctionVersions.Latest) ?? current.SealedEnvironment,
                LayerBlobIds = layers is null ? current.LayerBlobIds : layers.Select(l => l.CodeBlobId).ToList(),
                ContentHash = ContentHash(config, environment.Digest ?? vault.DigestOf(current)),
            };
            var result = await Functions.UpdateLatestAsync(updated, current.RevisionId, null, null, cancellationToken);
            ReleaseOrphans(result);
            if (result.Ok)
            {
                LatestUpdated?.Invoke(target.AccountId, target.Name, config.RevisionId!);
                return request.Environment is not null
                    ? Present(updated, target.Qualifier, Shown(environment.Variables))
                    : await PresentAsync(caller, updated, target.Qualifier, cancellationToken);
            }

            if (WriteFailure(result.Status, request.RevisionId, attempt, target, "update function") is { } failure)
            {
                return failure;
            }
        }
    }

    public async Task<Outcome<FunctionConfiguration>> UpdateCodeAsync(CallerIdentity caller, FunctionTarget target, UpdateFunctionCodeRequest request,
        CancellationToken cancellationToken)
    {
        var v = new Violations();
        FunctionValidator.CheckArchitectures(v, request.Architectures);
        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        if (Unqualified(target, "Only $LATEST can be updated; pass the function name or unqualified ARN.") is { } qualified &&
            target.Qualifier != FunctionVersions.Latest)
        {
            return qualified;
        }

        if (request.ImageUri is not null)
        {
            return LambdaErrors.InvalidParameter("Please don't provide ImageUri when updating a function with packageType Zip.");
        }

        if (CheckArchitectureRunnable(request.Architectures) is { } archError)
        {
            return archError;
        }

        var zip = CheckZipSource(request.ZipFile, request.S3Bucket, request.S3Key);
        if (!zip.IsSuccess)
        {
            return zip.Error;
        }

        var inspected = Code.CodeStore.Inspect(zip.Value);
        if (!inspected.IsSuccess)
        {
            return inspected.Error;
        }

        for (var attempt = 0; ; attempt++)
        {
            var current = await Functions.GetVersionAsync(target.AccountId, target.Name, FunctionVersions.Latest, cancellationToken);
            if (current is null)
            {
                return LambdaErrors.FunctionNotFound(target.UnqualifiedArn(options.Region));
            }

            if (request.RevisionId is not null && request.RevisionId != current.RevisionId)
            {
                return LambdaErrors.RevisionMismatch();
            }

            var layerBytes = 0L;
            foreach (var layerBlobId in current.LayerBlobIds)
            {
                layerBytes += (await store.Blobs.GetAsync(layerBlobId, cancellationToken))?.UnzippedSize ?? 0;
            }

            if (LayerSizeError(inspected.Value.UnzippedSize, layerBytes) is { } sizeError)
            {
                return sizeError;
            }

            var now = time.GetUtcNow();
            var config = current.Config with
            {
                CodeSha256 = inspected.Value.Sha256,
                CodeSize = zip.Value.LongLength,
                Architectures = request.Architectures ?? current.Config.Architectures,
                LastModified = LambdaTime.Format(now),
                RevisionId = LambdaTime.NewRevisionId(),
                LastUpdateStatus = "Successful",
            };
            if (request.DryRun == true)
            {
                return await PresentAsync(caller, current with { Config = config }, target.Qualifier, cancellationToken);
            }

            // Publishing re-seals the variables for the new version, which needs their data key.
            var unlocking = request.Publish == true ? await vault.UnlockAsync(caller, current, cancellationToken) : UnlockedEnvironment.None;
            if (!unlocking.TryGetValue(out var unlocked, out var keyError))
            {
                return keyError;
            }

            using var environment = unlocked;

            var staged = attempt == 0
                ? await code.StageAsync(target.AccountId, zip.Value, cancellationToken)
                : await StageAgainAsync(target.AccountId, zip.Value, cancellationToken);
            if (!staged.TryGetValue(out var claim, out var stageError))
            {
                return stageError;
            }

            var updated = current with
            {
                Config = config,
                CodeBlobId = claim.Blob.Id,
                ContentHash = ContentHash(config, vault.DigestOf(current)),
            };
            Func<long, FunctionVersionRecord>? publish = request.Publish == true ? n => PublishedFrom(updated, n, null, environment) : null;
            var result = await Functions.UpdateLatestAsync(updated, current.RevisionId, claim, publish, cancellationToken);
            ReleaseOrphans(result);
            if (result.Ok)
            {
                LatestUpdated?.Invoke(target.AccountId, target.Name, config.RevisionId!);
            }

            if (result.Ok && publish is not null)
            {
                var published = await Functions.GetVersionAsync(target.AccountId, target.Name, result.Detail!, cancellationToken);
                return await PresentAsync(caller, published!, published!.Version, cancellationToken);
            }

            if (result.Ok)
            {
                return await PresentAsync(caller, updated, target.Qualifier, cancellationToken);
            }

            if (!(result.Status == WriteStatus.BlobGone && attempt < 3) &&
                WriteFailure(result.Status, request.RevisionId, attempt, target, "update function") is { } failure)
            {
                return failure;
            }
        }
    }

    /// <summary>The version record published from $LATEST, its variables re-sealed for the version (see <see cref="EnvironmentVault"/>).</summary>
    private FunctionVersionRecord PublishedFrom(FunctionVersionRecord latest, long number, string? description, UnlockedEnvironment environment)
    {
        var version = number.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return latest with
        {
            Version = version,
            SealedEnvironment = environment.SealFor(Arns.Function(options.Region, latest.AccountId, latest.FunctionName), version),
            Config = latest.Config with
            {
                Version = version,
                FunctionArn = Arns.Function(options.Region, latest.AccountId, latest.FunctionName, version),
                Description = description ?? latest.Config.Description,
                RevisionId = LambdaTime.NewRevisionId(),
                LastModified = LambdaTime.Format(time.GetUtcNow()),
                State = "Active",
                LastUpdateStatus = "Successful",
            },
        };
    }

    public async Task<Outcome<FunctionConfiguration>> PublishVersionAsync(CallerIdentity caller, FunctionTarget target, PublishVersionRequest request,
        CancellationToken cancellationToken)
    {
        var v = new Violations();
        v.Length(request.Description, "description", 0, 256);
        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        if (Unqualified(target, "PublishVersion takes the function name or unqualified ARN.") is { } qualified)
        {
            return qualified;
        }

        for (var attempt = 0; ; attempt++)
        {
            var latest = await Functions.GetVersionAsync(target.AccountId, target.Name, FunctionVersions.Latest, cancellationToken);
            if (latest is null)
            {
                return LambdaErrors.FunctionNotFound(target.UnqualifiedArn(options.Region));
            }

            if (request.CodeSha256 is not null && request.CodeSha256 != latest.Config.CodeSha256)
            {
                return LambdaErrors.InvalidParameter(
                    $"CodeSHA256 ({request.CodeSha256}) is different from current CodeSHA256 in $LATEST ({latest.Config.CodeSha256}). Please try again with the CodeSHA256 in $LATEST.");
            }

            var unlocking = await vault.UnlockAsync(caller, latest, cancellationToken);
            if (!unlocking.TryGetValue(out var unlocked, out var keyError))
            {
                return keyError;
            }

            using var environment = unlocked;
            // The store publishes the $LATEST it reads; naming the revision read here guarantees it is the one unlocked.
            var (result, version) = await Functions.PublishAsync(target.AccountId, target.Name, request.RevisionId ?? latest.RevisionId,
                (current, number) => PublishedFrom(current, number, request.Description, environment), cancellationToken);
            if (result.Ok)
            {
                return await PresentAsync(caller, version!, version!.Version, cancellationToken);
            }

            if (WriteFailure(result.Status, request.RevisionId, attempt, target, "publish") is { } failure)
            {
                return failure;
            }
        }
    }

    /// <summary>
    /// The error a conditional write of $LATEST ends with, or null to retry: someone else updated between our read
    /// and our write and the caller named no revision, so the operation is redone on the new one.
    /// </summary>
    private AwsError? WriteFailure(WriteStatus status, string? requestedRevision, int attempt, FunctionTarget target, string operation) => status switch
    {
        WriteStatus.NotFound => LambdaErrors.FunctionNotFound(target.UnqualifiedArn(options.Region)),
        WriteStatus.RevisionMismatch when requestedRevision is null && attempt < RaceRetries => null,
        WriteStatus.RevisionMismatch when requestedRevision is null => LambdaErrors.UpdateInProgress(target.UnqualifiedArn(options.Region)),
        WriteStatus.RevisionMismatch => LambdaErrors.RevisionMismatch(),
        _ => LambdaErrors.Service($"Could not {operation} {target.Name} ({status})."),
    };

    /// <summary>
    /// The variables $LATEST is to hold after UpdateFunctionConfiguration, sealed under its (possibly new) key: the
    /// request's; or, when only the key changes, the current ones re-sealed; <see cref="UnlockedEnvironment.None"/>
    /// when they stay as they are (a KMSKeyArn named again is still checked for the caller).
    /// </summary>
    private async Task<Outcome<UnlockedEnvironment>> ResealAsync(CallerIdentity caller, FunctionVersionRecord current,
        UpdateFunctionConfigurationRequest request, string? keyArn, CancellationToken cancellationToken)
    {
        if (request.Environment is not null)
        {
            return await vault.NewAsync(caller, current.AccountId, current.FunctionName, keyArn, request.Environment.Variables ?? [], cancellationToken);
        }

        if (request.KMSKeyArn is null)
        {
            return UnlockedEnvironment.None;
        }

        if (keyArn == current.Config.KMSKeyArn || current.SealedEnvironment is null)
        {
            var checkedKey = await vault.NewAsync(caller, current.AccountId, current.FunctionName, keyArn, null, cancellationToken);
            return checkedKey.IsSuccess ? UnlockedEnvironment.None : checkedKey.Error;
        }

        var opened = await vault.UnlockAsync(caller, current, cancellationToken);
        if (!opened.TryGetValue(out var unlocked, out var error))
        {
            return error;
        }

        using (unlocked)
        {
            return await vault.NewAsync(caller, current.AccountId, current.FunctionName, keyArn, unlocked.Variables, cancellationToken);
        }
    }

    public async Task<AwsError?> DeleteAsync(FunctionTarget target, CancellationToken cancellationToken)
    {
        if (target.Qualifier is null)
        {
            var result = await Functions.DeleteFunctionAsync(target.AccountId, target.Name, cancellationToken);
            ReleaseOrphans(result);
            if (result.Status == WriteStatus.NotFound)
            {
                return LambdaErrors.FunctionNotFound(target.UnqualifiedArn(options.Region));
            }

            Deleted?.Invoke(target.AccountId, target.Name, null);
            return null;
        }

        if (target.Qualifier == FunctionVersions.Latest)
        {
            return LambdaErrors.InvalidParameter("$LATEST version cannot be deleted without deleting the function.");
        }

        if (await Functions.GetFunctionAsync(target.AccountId, target.Name, cancellationToken) is null)
        {
            return LambdaErrors.FunctionNotFound(target.UnqualifiedArn(options.Region));
        }

        if (!IsVersionNumber(target.Qualifier))
        {
            return LambdaErrors.InvalidParameter(
                $"DeleteFunction deletes versions, not aliases; '{target.Qualifier}' is not a version number. Use DeleteAlias to delete an alias.");
        }

        var deleted = await Functions.DeleteVersionAsync(target.AccountId, target.Name, target.Qualifier, cancellationToken);
        ReleaseOrphans(deleted);
        if (deleted.Ok)
        {
            Deleted?.Invoke(target.AccountId, target.Name, target.Qualifier);
        }

        return deleted.Status switch
        {
            WriteStatus.Ok => null,
            WriteStatus.NotFound => LambdaErrors.FunctionNotFound(target.Arn(options.Region)),
            WriteStatus.Refused => LambdaErrors.Conflict($"Unable to delete version because the following aliases reference it: [{deleted.Detail}]"),
            _ => LambdaErrors.Service($"Could not delete {target.Name}:{target.Qualifier} ({deleted.Status})."),
        };
    }
}
