namespace Lamina.Core.Api.Lambda;

// Wire shapes of the Lambda 2015-03-31 model (botocore lambda/2015-03-31/service-2.json). Member
// names are the model's; null members are omitted when written, as AWS omits them.

internal sealed record FunctionCode
{
    public byte[]? ZipFile { get; init; }
    public string? S3Bucket { get; init; }
    public string? S3Key { get; init; }
    public string? S3ObjectVersion { get; init; }
    public string? ImageUri { get; init; }
    public string? SourceKMSKeyArn { get; init; }
}

internal sealed record VpcConfig
{
    public List<string>? SubnetIds { get; init; }
    public List<string>? SecurityGroupIds { get; init; }
    public string? VpcId { get; init; }
    public bool? Ipv6AllowedForDualStack { get; init; }
}

internal sealed record DeadLetterConfig
{
    public string? TargetArn { get; init; }
}

internal sealed record EnvironmentShape
{
    public Dictionary<string, string>? Variables { get; init; }
    public EnvironmentError? Error { get; init; }
}

internal sealed record EnvironmentError
{
    public string? ErrorCode { get; init; }
    public string? Message { get; init; }
}

internal sealed record TracingConfig
{
    public string? Mode { get; init; }
}

internal sealed record FileSystemConfig
{
    public string? Arn { get; init; }
    public string? LocalMountPath { get; init; }
}

internal sealed record ImageConfig
{
    public List<string>? EntryPoint { get; init; }
    public List<string>? Command { get; init; }
    public string? WorkingDirectory { get; init; }
}

internal sealed record EphemeralStorage
{
    public int? Size { get; init; }
}

internal sealed record SnapStart
{
    public string? ApplyOn { get; init; }
    public string? OptimizationStatus { get; init; }
}

internal sealed record LoggingConfig
{
    public string? LogFormat { get; init; }
    public string? ApplicationLogLevel { get; init; }
    public string? SystemLogLevel { get; init; }
    public string? LogGroup { get; init; }
}

internal sealed record DurableConfig
{
    public int? RetentionPeriodInDays { get; init; }
    public int? ExecutionTimeout { get; init; }
}

internal sealed record TenancyConfig
{
    public string? TenantIsolationMode { get; init; }
}

internal sealed record RuntimeVersionConfig
{
    public string? RuntimeVersionArn { get; init; }
}

internal sealed record LayerReference
{
    public string? Arn { get; init; }
    public long? CodeSize { get; init; }
    public string? SigningProfileVersionArn { get; init; }
    public string? SigningJobArn { get; init; }
}

/// <summary>The model's <c>FunctionConfiguration</c>: what every read of a function version returns.</summary>
internal sealed record FunctionConfiguration
{
    public string? FunctionName { get; init; }
    public string? FunctionArn { get; init; }
    public string? Runtime { get; init; }
    public string? Role { get; init; }
    public string? Handler { get; init; }
    public long CodeSize { get; init; }
    public string? Description { get; init; }
    public int Timeout { get; init; }
    public int MemorySize { get; init; }
    public string? LastModified { get; init; }
    public string? CodeSha256 { get; init; }
    public string? Version { get; init; }
    public VpcConfig? VpcConfig { get; init; }
    public DeadLetterConfig? DeadLetterConfig { get; init; }
    public EnvironmentShape? Environment { get; init; }
    public string? KMSKeyArn { get; init; }
    public TracingConfig? TracingConfig { get; init; }
    public string? MasterArn { get; init; }
    public string? RevisionId { get; init; }
    public List<LayerReference>? Layers { get; init; }
    public string? State { get; init; }
    public string? StateReason { get; init; }
    public string? StateReasonCode { get; init; }
    public string? LastUpdateStatus { get; init; }
    public string? LastUpdateStatusReason { get; init; }
    public string? LastUpdateStatusReasonCode { get; init; }
    public List<FileSystemConfig>? FileSystemConfigs { get; init; }
    public string? PackageType { get; init; }
    public List<string>? Architectures { get; init; }
    public EphemeralStorage? EphemeralStorage { get; init; }
    public SnapStart? SnapStart { get; init; }
    public RuntimeVersionConfig? RuntimeVersionConfig { get; init; }
    public LoggingConfig? LoggingConfig { get; init; }
    public DurableConfig? DurableConfig { get; init; }
    public TenancyConfig? TenancyConfig { get; init; }
}

internal sealed record CreateFunctionRequest
{
    public string? FunctionName { get; init; }
    public string? Runtime { get; init; }
    public string? Role { get; init; }
    public string? Handler { get; init; }
    public FunctionCode? Code { get; init; }
    public string? Description { get; init; }
    public int? Timeout { get; init; }
    public int? MemorySize { get; init; }
    public bool? Publish { get; init; }
    public VpcConfig? VpcConfig { get; init; }
    public string? PackageType { get; init; }
    public DeadLetterConfig? DeadLetterConfig { get; init; }
    public EnvironmentShape? Environment { get; init; }
    public string? KMSKeyArn { get; init; }
    public TracingConfig? TracingConfig { get; init; }
    public Dictionary<string, string>? Tags { get; init; }
    public List<string>? Layers { get; init; }
    public List<FileSystemConfig>? FileSystemConfigs { get; init; }
    public ImageConfig? ImageConfig { get; init; }
    public string? CodeSigningConfigArn { get; init; }
    public List<string>? Architectures { get; init; }
    public EphemeralStorage? EphemeralStorage { get; init; }
    public SnapStart? SnapStart { get; init; }
    public LoggingConfig? LoggingConfig { get; init; }
    public DurableConfig? DurableConfig { get; init; }
    public TenancyConfig? TenancyConfig { get; init; }
}

internal sealed record UpdateFunctionConfigurationRequest
{
    public string? Role { get; init; }
    public string? Handler { get; init; }
    public string? Description { get; init; }
    public int? Timeout { get; init; }
    public int? MemorySize { get; init; }
    public VpcConfig? VpcConfig { get; init; }
    public EnvironmentShape? Environment { get; init; }
    public string? Runtime { get; init; }
    public DeadLetterConfig? DeadLetterConfig { get; init; }
    public string? KMSKeyArn { get; init; }
    public TracingConfig? TracingConfig { get; init; }
    public string? RevisionId { get; init; }
    public List<string>? Layers { get; init; }
    public List<FileSystemConfig>? FileSystemConfigs { get; init; }
    public ImageConfig? ImageConfig { get; init; }
    public EphemeralStorage? EphemeralStorage { get; init; }
    public SnapStart? SnapStart { get; init; }
    public LoggingConfig? LoggingConfig { get; init; }
    public DurableConfig? DurableConfig { get; init; }
}

internal sealed record UpdateFunctionCodeRequest
{
    public byte[]? ZipFile { get; init; }
    public string? S3Bucket { get; init; }
    public string? S3Key { get; init; }
    public string? S3ObjectVersion { get; init; }
    public string? ImageUri { get; init; }
    public bool? Publish { get; init; }
    public bool? DryRun { get; init; }
    public string? RevisionId { get; init; }
    public List<string>? Architectures { get; init; }
    public string? SourceKMSKeyArn { get; init; }
}

internal sealed record FunctionCodeLocation
{
    public string? RepositoryType { get; init; }
    public string? Location { get; init; }
    public string? ImageUri { get; init; }
    public string? ResolvedImageUri { get; init; }
}

internal sealed record Concurrency
{
    public int? ReservedConcurrentExecutions { get; init; }
}

internal sealed record GetFunctionResponse
{
    public FunctionConfiguration? Configuration { get; init; }
    public FunctionCodeLocation? Code { get; init; }
    public Dictionary<string, string>? Tags { get; init; }
    public Concurrency? Concurrency { get; init; }
}

internal sealed record ListFunctionsResponse
{
    public string? NextMarker { get; init; }

    [System.Text.Json.Serialization.JsonConverter(typeof(ListedConfigurationsConverter))]
    public List<FunctionConfiguration>? Functions { get; init; }
}

internal sealed record PublishVersionRequest
{
    public string? CodeSha256 { get; init; }
    public string? Description { get; init; }
    public string? RevisionId { get; init; }
}

internal sealed record ListVersionsByFunctionResponse
{
    public string? NextMarker { get; init; }
    public List<FunctionConfiguration>? Versions { get; init; }
}
