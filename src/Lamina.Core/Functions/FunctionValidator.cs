using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lamina.Core.Api.Lambda;
using Lamina.Core.Errors;

namespace Lamina.Core.Functions;

/// <summary>
/// Request validation for function create/update, in two passes as AWS does: model constraints
/// (<c>ValidationException</c>, all violations listed) and then semantic rules
/// (<c>InvalidParameterValueException</c>, the first one found).
/// </summary>
internal static partial class FunctionValidator
{
    public const int MaxEnvironmentBytes = 4096;
    public const int MaxLayers = 5;
    public const int MaxTags = 50;

    public const string RolePattern = @"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+";
    public const string HandlerPattern = @"[^\s]+";
    public const string EnvKeyPattern = @"[a-zA-Z]([a-zA-Z0-9_])+";
    public const string LayerArnPattern =
        @"(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)";

    public static readonly IReadOnlyList<string> ArchitectureValues = ["x86_64", "arm64"];
    public static readonly IReadOnlyList<string> TracingModes = ["Active", "PassThrough"];
    public static readonly IReadOnlyList<string> LogFormats = ["JSON", "Text"];
    public static readonly IReadOnlyList<string> ApplicationLogLevels = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];
    public static readonly IReadOnlyList<string> SystemLogLevels = ["DEBUG", "INFO", "WARN"];
    public static readonly IReadOnlyList<string> SnapStartApplyOn = ["PublishedVersions", "None"];

    /// <summary>Variables the platform sets; a function may not override them (reference/lambda-runtime.md section 3).</summary>
    public static readonly IReadOnlySet<string> ReservedEnvironmentKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    };

    [GeneratedRegex(@"^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")]
    public static partial Regex RoleRegex();

    [GeneratedRegex(@"^[^\s]+$")]
    public static partial Regex HandlerRegex();

    [GeneratedRegex(@"^[a-zA-Z]([a-zA-Z0-9_])+$")]
    public static partial Regex EnvKeyRegex();

    [GeneratedRegex(@"^arn:[a-zA-Z0-9-]+:lambda:(?<region>[a-zA-Z0-9-]+):(?<account>\d{12}):layer:(?<name>[a-zA-Z0-9-_]+):(?<version>[0-9]+)$")]
    public static partial Regex LayerVersionArnRegex();

    /// <summary>The fields shared by CreateFunction and UpdateFunctionConfiguration.</summary>
    internal sealed record ConfigFields(
        string? Role,
        string? Handler,
        string? Description,
        int? Timeout,
        int? MemorySize,
        EphemeralStorage? EphemeralStorage,
        TracingConfig? TracingConfig,
        LoggingConfig? LoggingConfig,
        SnapStart? SnapStart,
        DurableConfig? DurableConfig,
        List<string>? Layers,
        Dictionary<string, string>? Environment);

    public static void CheckModel(Violations v, ConfigFields f)
    {
        v.Pattern(f.Role, "role", RoleRegex(), RolePattern);
        v.Length(f.Handler, "handler", 0, 128);
        v.Pattern(f.Handler, "handler", HandlerRegex(), HandlerPattern);
        v.Length(f.Description, "description", 0, 256);
        v.Range(f.Timeout, "timeout", 1, 900);
        v.Range(f.MemorySize, "memorySize", 128, 10240);
        if (f.EphemeralStorage is not null)
        {
            v.Required(f.EphemeralStorage.Size, "ephemeralStorage.size");
            v.Range(f.EphemeralStorage.Size, "ephemeralStorage.size", 512, 10240);
        }

        v.Enum(f.TracingConfig?.Mode, "tracingConfig.mode", (IReadOnlyCollection<string>)TracingModes);
        if (f.LoggingConfig is { } logging)
        {
            v.Enum(logging.LogFormat, "loggingConfig.logFormat", (IReadOnlyCollection<string>)LogFormats);
            v.Enum(logging.ApplicationLogLevel, "loggingConfig.applicationLogLevel", (IReadOnlyCollection<string>)ApplicationLogLevels);
            v.Enum(logging.SystemLogLevel, "loggingConfig.systemLogLevel", (IReadOnlyCollection<string>)SystemLogLevels);
            v.Length(logging.LogGroup, "loggingConfig.logGroup", 1, 512);
        }

        v.Enum(f.SnapStart?.ApplyOn, "snapStart.applyOn", (IReadOnlyCollection<string>)SnapStartApplyOn);
        if (f.DurableConfig is { } durable)
        {
            v.Range(durable.RetentionPeriodInDays, "durableConfig.retentionPeriodInDays", 1, 90);
            v.Range(durable.ExecutionTimeout, "durableConfig.executionTimeout", 1, 31_622_400);
        }

        if (f.Layers is { } layers)
        {
            foreach (var layer in layers)
            {
                if (layer is null || layer.Length is < 1 or > 140 || !LayerVersionArnRegex().IsMatch(layer))
                {
                    v.Add(layers, "layers",
                        "Member must satisfy constraint: [Member must have length less than or equal to 140, Member must have length greater than or equal to 1, " +
                        $"Member must satisfy regular expression pattern: {LayerArnPattern}, Member must not be null]");
                    break;
                }
            }
        }

        if (f.Environment is { } env)
        {
            foreach (var key in env.Keys)
            {
                if (!EnvKeyRegex().IsMatch(key))
                {
                    v.Add($"{{{string.Join(", ", env.Select(kv => kv.Key + "=***"))}}}", "environment.variables",
                        $"Map keys must satisfy constraint: [Member must satisfy regular expression pattern: {EnvKeyPattern}]");
                    break;
                }
            }
        }
    }

    public static void CheckArchitectures(Violations v, List<string>? architectures)
    {
        if (architectures is null)
        {
            return;
        }

        if (architectures.Count > 1)
        {
            v.Add(architectures, "architectures", "Member must have length less than or equal to 1");
        }
        else if (architectures.Count == 0)
        {
            v.Add(architectures, "architectures", "Member must have length greater than or equal to 1");
        }
        else if (!ArchitectureValues.Contains(architectures[0]))
        {
            v.Add(architectures, "architectures",
                "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]");
        }
    }

    /// <summary>Semantic checks on a runtime: known, not deprecated, and runnable on this host.</summary>
    public static AwsError? CheckRuntime(string runtime, RuntimeCatalog catalog)
    {
        if (!RuntimeCatalog.ModelRuntimes.Contains(runtime))
        {
            return LambdaErrors.InvalidParameter(
                $"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [{string.Join(", ", catalog.Names)}] or be a valid ARN");
        }

        if (RuntimeCatalog.Deprecated.TryGetValue(runtime, out var replacement))
        {
            return LambdaErrors.InvalidParameter(
                $"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime ({replacement}) while creating or updating functions.");
        }

        if (!catalog.IsSupported(runtime))
        {
            return LambdaErrors.InvalidParameter(
                $"The runtime parameter of {runtime} is not available on this Lamina server, which can run: [{string.Join(", ", catalog.Names)}]. " +
                "Choose one of those, or install the runtime's interpreter on the host and restart Lamina.");
        }

        return null;
    }

    /// <summary>Reserved keys and the 4 KB limit, measured on the compact JSON of the map as AWS measures it.</summary>
    public static AwsError? CheckEnvironment(Dictionary<string, string>? variables)
    {
        if (variables is null)
        {
            return null;
        }

        var reserved = variables.Keys.Where(ReservedEnvironmentKeys.Contains).ToList();
        if (reserved.Count > 0)
        {
            return LambdaErrors.InvalidParameter(
                "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. " +
                $"Reserved keys used in this request: {string.Join(",", reserved)}");
        }

        var measured = MeasureEnvironment(variables);
        if (Encoding.UTF8.GetByteCount(measured) > MaxEnvironmentBytes)
        {
            // AWS echoes the measured map; the caller sent it, so it is theirs to see, but it is never logged.
            return LambdaErrors.InvalidParameter(
                "Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. " +
                $"String measured: {measured}");
        }

        return null;
    }

    public static string MeasureEnvironment(Dictionary<string, string> variables)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in variables)
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static AwsError? CheckSnapStart(SnapStart? snapStart, string? runtime) =>
        snapStart?.ApplyOn == "PublishedVersions"
            ? LambdaErrors.InvalidParameter($"{runtime ?? "This runtime"} is not supported for SnapStart enabled functions.")
            : null;

    /// <summary>Dead-letter targets are Lamina functions; SQS and SNS get a clear error until Lamina hosts them.</summary>
    public static AwsError? CheckDeadLetter(DeadLetterConfig? config)
    {
        var arn = config?.TargetArn;
        if (string.IsNullOrEmpty(arn))
        {
            return null;
        }

        var parts = arn.Split(':');
        if (parts.Length >= 6 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function")
        {
            return null;
        }

        return parts.Length >= 3 && parts[2] is "sqs" or "sns"
            ? LambdaErrors.InvalidParameter(
                $"The dead-letter target {arn} is an {parts[2].ToUpperInvariant()} ARN; Lamina delivers dead letters to Lambda functions only. Use a function ARN.")
            : LambdaErrors.InvalidParameter($"The provided target ARN {arn} is invalid. Use a Lambda function ARN.");
    }

    public static AwsError? CheckUnsupported(VpcConfig? vpc, List<FileSystemConfig>? fileSystems, string? codeSigningConfigArn)
    {
        if (vpc is { SubnetIds.Count: > 0 } || vpc is { SecurityGroupIds.Count: > 0 })
        {
            return LambdaErrors.InvalidParameter(
                "VpcConfig with subnets or security groups is not supported by Lamina: environments run on the host's network rules. Remove VpcConfig (or send it empty).");
        }

        if (fileSystems is { Count: > 0 })
        {
            return LambdaErrors.InvalidParameter(
                "FileSystemConfigs (EFS) are not supported by Lamina. Remove FileSystemConfigs; use /tmp (EphemeralStorage up to 10240 MB) or a layer instead.");
        }

        if (!string.IsNullOrEmpty(codeSigningConfigArn))
        {
            return LambdaErrors.InvalidParameter(
                "CodeSigningConfigArn is not supported by Lamina. Remove CodeSigningConfigArn from the request.");
        }

        return null;
    }
}
