using Lamina.Core.Api.Lambda;
using Lamina.Core.Auth;
using Lamina.Core.Errors;
using Lamina.Core.Storage;

namespace Lamina.Core.Functions;

internal sealed partial class FunctionService
{
    public async Task<Outcome<FunctionConfiguration>> CreateAsync(CallerIdentity caller, CreateFunctionRequest request, CancellationToken cancellationToken)
    {
        var callerAccount = caller.AccountId;
        var v = new Violations();
        v.Required(request.FunctionName, "functionName");
        v.Required(request.Role, "role");
        v.Required(request.Code, "code");
        v.Length(request.FunctionName, "functionName", 1, 140);
        var fields = new FunctionValidator.ConfigFields(request.Role, request.Handler, request.Description, request.Timeout, request.MemorySize,
            request.EphemeralStorage, request.TracingConfig, request.LoggingConfig, request.SnapStart, request.DurableConfig, request.Layers,
            request.Environment?.Variables);
        FunctionValidator.CheckModel(v, fields);
        FunctionValidator.CheckArchitectures(v, request.Architectures);
        v.Enum(request.PackageType, "packageType", ["Zip", "Image"]);
        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        var parsed = FunctionTarget.Parse(request.FunctionName!, null, callerAccount, options.Region, maxLength: 140);
        if (!parsed.TryGetValue(out var target, out var parseError))
        {
            return parseError;
        }

        if (target.AccountId != callerAccount)
        {
            return LambdaErrors.AccessDenied($"Functions can only be created in the caller's account ({callerAccount}).");
        }

        if (target.Qualifier is not null)
        {
            return LambdaErrors.InvalidParameter("A function name for CreateFunction cannot carry a qualifier; remove ':" + target.Qualifier + "'.");
        }

        if (request.PackageType == "Image" || request.Code!.ImageUri is not null)
        {
            return LambdaErrors.InvalidParameter(
                "Container image functions (PackageType Image) are not supported by Lamina. Package the function as a .zip and send it as Code.ZipFile.");
        }

        if (request.Runtime is null || request.Handler is null)
        {
            return LambdaErrors.InvalidParameter("Runtime and Handler are mandatory parameters for functions created with deployment packages.");
        }

        if (FirstError(
                FunctionValidator.CheckRuntime(request.Runtime, runtimes),
                FunctionValidator.CheckUnsupported(request.VpcConfig, request.FileSystemConfigs, request.CodeSigningConfigArn),
                CheckArchitectureRunnable(request.Architectures),
                FunctionValidator.CheckSnapStart(request.SnapStart, request.Runtime),
                FunctionValidator.CheckEnvironment(request.Environment?.Variables),
                FunctionValidator.CheckDeadLetter(request.DeadLetterConfig)) is { } semanticError)
        {
            return semanticError;
        }

        if (await roles.CheckAsync(callerAccount, request.Role!, cancellationToken) is { } roleError)
        {
            return roleError;
        }

        if (request.Tags is { Count: > FunctionValidator.MaxTags })
        {
            return LambdaErrors.InvalidParameter("Number of tags exceeds resource tag limit.");
        }

        var zip = CheckZipSource(request.Code.ZipFile, request.Code.S3Bucket, request.Code.S3Key);
        if (!zip.IsSuccess)
        {
            return zip.Error;
        }

        var layers = await ResolveLayersAsync(callerAccount, request.Layers, cancellationToken);
        if (!layers.IsSuccess)
        {
            return layers.Error;
        }

        var variables = request.Environment is null ? null : request.Environment.Variables ?? [];
        var sealing = await vault.NewAsync(caller, callerAccount, target.Name, string.IsNullOrEmpty(request.KMSKeyArn) ? null : request.KMSKeyArn, variables,
            cancellationToken);
        if (!sealing.TryGetValue(out var unlocked, out var keyError))
        {
            return keyError;
        }

        using var environment = unlocked;
        var functionArn = Arns.Function(options.Region, callerAccount, target.Name);
        for (var attempt = 0; ; attempt++)
        {
            var staged = attempt == 0
                ? await code.StageAsync(callerAccount, zip.Value, cancellationToken)
                : await StageAgainAsync(callerAccount, zip.Value, cancellationToken);
            if (!staged.TryGetValue(out var claim, out var stageError))
            {
                return stageError;
            }

            if (LayerSizeError(claim.Blob.UnzippedSize, layers.Value) is { } sizeError)
            {
                code.Release(claim.IsNew ? [claim.Blob.Id] : []);
                return sizeError;
            }

            var now = time.GetUtcNow();
            var config = NewConfiguration(target, request, claim.Blob, layers.Value, now);
            var hash = ContentHash(config, environment.Digest);
            var latest = new FunctionVersionRecord
            {
                AccountId = callerAccount,
                FunctionName = target.Name,
                Version = FunctionVersions.Latest,
                Config = config,
                SealedEnvironment = environment.SealFor(functionArn, FunctionVersions.Latest),
                CodeBlobId = claim.Blob.Id,
                LayerBlobIds = layers.Value.Select(l => l.CodeBlobId).ToList(),
                ContentHash = hash,
            };
            FunctionVersionRecord? published = null;
            if (request.Publish == true)
            {
                published = latest with
                {
                    Version = "1",
                    SealedEnvironment = environment.SealFor(functionArn, "1"),
                    Config = config with
                    {
                        Version = "1",
                        FunctionArn = Arns.Function(options.Region, callerAccount, target.Name, "1"),
                        RevisionId = LambdaTime.NewRevisionId(),
                    },
                };
            }

            var function = new FunctionRecord
            {
                AccountId = callerAccount,
                Name = target.Name,
                CreatedAt = now,
                Tags = request.Tags ?? [],
                LastVersion = published is null ? 0 : 1,
            };
            var result = await Functions.CreateAsync(function, latest, published, claim, cancellationToken);
            ReleaseOrphans(result);
            switch (result.Status)
            {
                case WriteStatus.Ok:
                    var shown = published ?? latest;
                    // AWS answers CreateFunction with the unqualified ARN even when it published version 1.
                    return Present(shown, null, Shown(variables)) with { LastUpdateStatus = null };
                case WriteStatus.AlreadyExists:
                    return LambdaErrors.FunctionExists(target.Name);
                case WriteStatus.BlobGone when attempt < 3:
                    continue;
                default:
                    return LambdaErrors.Service($"Could not store function {target.Name} ({result.Status}).");
            }
        }
    }

    private async Task<Outcome<BlobClaim>> StageAgainAsync(string accountId, byte[] zip, CancellationToken cancellationToken)
    {
        var inspected = Code.CodeStore.Inspect(zip);
        if (!inspected.IsSuccess)
        {
            return inspected.Error;
        }

        return await code.StageNewAsync(accountId, zip, inspected.Value.Sha256, inspected.Value.UnzippedSize, cancellationToken);
    }

    private FunctionConfiguration NewConfiguration(FunctionTarget target, CreateFunctionRequest request, BlobRecord blob,
        IReadOnlyList<LayerVersionRecord> layers, DateTimeOffset now)
    {
        var logging = NormalizeLogging(request.LoggingConfig, null, target.Name);
        return new FunctionConfiguration
        {
            FunctionName = target.Name,
            FunctionArn = Arns.Function(options.Region, target.AccountId, target.Name),
            Runtime = request.Runtime,
            Role = request.Role,
            Handler = request.Handler,
            CodeSize = blob.Size,
            Description = request.Description ?? "",
            Timeout = request.Timeout ?? 3,
            MemorySize = request.MemorySize ?? 128,
            LastModified = LambdaTime.Format(now),
            CodeSha256 = blob.Sha256,
            Version = FunctionVersions.Latest,
            VpcConfig = request.VpcConfig is null ? null : EmptyVpc,
            DeadLetterConfig = string.IsNullOrEmpty(request.DeadLetterConfig?.TargetArn) ? null : request.DeadLetterConfig,
            KMSKeyArn = string.IsNullOrEmpty(request.KMSKeyArn) ? null : request.KMSKeyArn,
            TracingConfig = new TracingConfig { Mode = request.TracingConfig?.Mode ?? "PassThrough" },
            RevisionId = LambdaTime.NewRevisionId(),
            Layers = LayerReferences(layers),
            State = "Active",
            LastUpdateStatus = "Successful",
            PackageType = "Zip",
            Architectures = request.Architectures ?? ["x86_64"],
            EphemeralStorage = new EphemeralStorage { Size = request.EphemeralStorage?.Size ?? 512 },
            SnapStart = new SnapStart { ApplyOn = "None", OptimizationStatus = "Off" },
            RuntimeVersionConfig = RuntimeVersion(request.Runtime!),
            LoggingConfig = logging,
            DurableConfig = NormalizeDurable(request.DurableConfig, null),
            TenancyConfig = request.TenancyConfig,
        };
    }

    private static readonly VpcConfig EmptyVpc = new() { SubnetIds = [], SecurityGroupIds = [], VpcId = "", Ipv6AllowedForDualStack = false };

    private RuntimeVersionConfig RuntimeVersion(string runtime)
    {
        var version = runtimes.TryGet(runtime, out var info) ? info.Version : "unknown";
        var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes($"lamina:{runtime}:{version}")));
        return new RuntimeVersionConfig { RuntimeVersionArn = $"arn:aws:lambda:{options.Region}::runtime:{digest}" };
    }

    private static LoggingConfig NormalizeLogging(LoggingConfig? requested, LoggingConfig? current, string functionName)
    {
        var format = requested?.LogFormat ?? current?.LogFormat ?? "Text";
        var group = requested?.LogGroup ?? current?.LogGroup ?? $"/aws/lambda/{functionName}";
        if (format == "JSON")
        {
            return new LoggingConfig
            {
                LogFormat = format,
                LogGroup = group,
                ApplicationLogLevel = requested?.ApplicationLogLevel ?? current?.ApplicationLogLevel ?? "INFO",
                SystemLogLevel = requested?.SystemLogLevel ?? current?.SystemLogLevel ?? "INFO",
            };
        }

        return new LoggingConfig { LogFormat = format, LogGroup = group };
    }

    /// <summary>Retention defaults to 14 days, as SAM and the CDK set it.</summary>
    private static DurableConfig? NormalizeDurable(DurableConfig? requested, DurableConfig? current)
    {
        if (requested is null)
        {
            return current;
        }

        return new DurableConfig
        {
            ExecutionTimeout = requested.ExecutionTimeout ?? current?.ExecutionTimeout,
            RetentionPeriodInDays = requested.RetentionPeriodInDays ?? current?.RetentionPeriodInDays ?? 14,
        };
    }

    private static AwsError? CheckArchitectureRunnable(List<string>? architectures)
    {
        var wanted = architectures is { Count: 1 } ? architectures[0] : "x86_64";
        var host = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
        {
            System.Runtime.InteropServices.Architecture.X64 => "x86_64",
            System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
            var other => other.ToString(),
        };
        return wanted == host
            ? null
            : LambdaErrors.InvalidParameter($"Architecture {wanted} is not supported by this Lamina server, which runs on {host}. Set Architectures to [{host}].");
    }

    private static Outcome<byte[]> CheckZipSource(byte[]? zipFile, string? s3Bucket, string? s3Key)
    {
        if (s3Bucket is not null || s3Key is not null)
        {
            return LambdaErrors.InvalidParameter(
                "Lamina does not read code from S3 (S3Bucket/S3Key). Upload the package directly as ZipFile, e.g. 'aws lambda create-function --zip-file fileb://function.zip'.");
        }

        if (zipFile is null)
        {
            return LambdaErrors.InvalidParameter("Please provide a source for function code: Code.ZipFile.");
        }

        return zipFile;
    }

    private async Task<Outcome<IReadOnlyList<LayerVersionRecord>>> ResolveLayersAsync(string callerAccount, List<string>? arns, CancellationToken cancellationToken)
    {
        if (arns is null || arns.Count == 0)
        {
            return Array.Empty<LayerVersionRecord>();
        }

        if (arns.Count > FunctionValidator.MaxLayers)
        {
            return LambdaErrors.InvalidParameter("Cannot reference more than 5 layers.");
        }

        var result = new List<LayerVersionRecord>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var arn in arns)
        {
            var match = FunctionValidator.LayerVersionArnRegex().Match(arn);
            if (match.Groups["region"].Value != options.Region)
            {
                return LambdaErrors.InvalidParameter(
                    $"Layers are not in the same region as the function. Layers are expected to be in region {options.Region}.");
            }

            var layerArn = arn[..arn.LastIndexOf(':')];
            if (seen.TryGetValue(layerArn, out var first))
            {
                return LambdaErrors.InvalidParameter(
                    $"Two different versions of the same layer are not allowed to be referenced in the same function. {first} and {arn} are versions of the same layer.");
            }

            seen[layerArn] = arn;
            var account = match.Groups["account"].Value;
            var version = long.Parse(match.Groups["version"].Value, System.Globalization.CultureInfo.InvariantCulture);
            // The front door authorized lambda:GetLayerVersion on each layer (another account's needs its layer-version policy).
            var record = await store.Layers.GetVersionAsync(account, match.Groups["name"].Value, version, cancellationToken);
            if (record is null)
            {
                return LambdaErrors.InvalidParameter($"Layer version {arn} does not exist.");
            }

            result.Add(record);
        }

        return result;
    }

    private static List<LayerReference>? LayerReferences(IReadOnlyList<LayerVersionRecord> layers) =>
        layers.Count == 0 ? null : layers.Select(l => new LayerReference { Arn = l.Info.LayerVersionArn, CodeSize = l.Info.Content?.CodeSize }).ToList();

    private static AwsError? LayerSizeError(long functionUnzipped, IReadOnlyList<LayerVersionRecord> layers) =>
        LayerSizeError(functionUnzipped, layers.Sum(l => l.UnzippedSize));

    private static AwsError? FirstError(params AwsError?[] errors) => errors.FirstOrDefault(e => e is not null);

    private static AwsError? LayerSizeError(long functionUnzipped, long layerBytes) =>
        functionUnzipped + layerBytes > Code.CodeStore.MaxUnzippedBytes
            ? LambdaErrors.InvalidParameter(
                $"Function code combined with layers exceeds the maximum allowed size of {Code.CodeStore.MaxUnzippedBytes} bytes. The actual size is {functionUnzipped + layerBytes} bytes.")
            : null;
}
