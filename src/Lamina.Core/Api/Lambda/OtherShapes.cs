namespace Lamina.Core.Api.Lambda;

internal sealed record AliasRoutingConfiguration
{
    public Dictionary<string, double>? AdditionalVersionWeights { get; init; }
}

internal sealed record AliasConfiguration
{
    public string? AliasArn { get; init; }
    public string? Name { get; init; }
    public string? FunctionVersion { get; init; }
    public string? Description { get; init; }
    public AliasRoutingConfiguration? RoutingConfig { get; init; }
    public string? RevisionId { get; init; }
}

internal sealed record CreateAliasRequest
{
    public string? Name { get; init; }
    public string? FunctionVersion { get; init; }
    public string? Description { get; init; }
    public AliasRoutingConfiguration? RoutingConfig { get; init; }
}

internal sealed record UpdateAliasRequest
{
    public string? FunctionVersion { get; init; }
    public string? Description { get; init; }
    public AliasRoutingConfiguration? RoutingConfig { get; init; }
    public string? RevisionId { get; init; }
}

internal sealed record ListAliasesResponse
{
    public string? NextMarker { get; init; }
    public List<AliasConfiguration>? Aliases { get; init; }
}

internal sealed record LayerVersionContentInput
{
    public string? S3Bucket { get; init; }
    public string? S3Key { get; init; }
    public string? S3ObjectVersion { get; init; }
    public byte[]? ZipFile { get; init; }
}

internal sealed record PublishLayerVersionRequest
{
    public string? Description { get; init; }
    public LayerVersionContentInput? Content { get; init; }
    public List<string>? CompatibleRuntimes { get; init; }
    public string? LicenseInfo { get; init; }
    public List<string>? CompatibleArchitectures { get; init; }
}

internal sealed record LayerVersionContentOutput
{
    public string? Location { get; init; }
    public string? CodeSha256 { get; init; }
    public long? CodeSize { get; init; }
    public string? SigningProfileVersionArn { get; init; }
    public string? SigningJobArn { get; init; }
}

/// <summary>Response of PublishLayerVersion, GetLayerVersion and GetLayerVersionByArn.</summary>
internal sealed record LayerVersionResponse
{
    public LayerVersionContentOutput? Content { get; init; }
    public string? LayerArn { get; init; }
    public string? LayerVersionArn { get; init; }
    public string? Description { get; init; }
    public string? CreatedDate { get; init; }
    public long Version { get; init; }
    public List<string>? CompatibleRuntimes { get; init; }
    public string? LicenseInfo { get; init; }
    public List<string>? CompatibleArchitectures { get; init; }
}

internal sealed record LayerVersionsListItem
{
    public string? LayerVersionArn { get; init; }
    public long Version { get; init; }
    public string? Description { get; init; }
    public string? CreatedDate { get; init; }
    public List<string>? CompatibleRuntimes { get; init; }
    public string? LicenseInfo { get; init; }
    public List<string>? CompatibleArchitectures { get; init; }
}

internal sealed record LayersListItem
{
    public string? LayerName { get; init; }
    public string? LayerArn { get; init; }
    public LayerVersionsListItem? LatestMatchingVersion { get; init; }
}

internal sealed record ListLayersResponse
{
    public string? NextMarker { get; init; }
    public List<LayersListItem>? Layers { get; init; }
}

internal sealed record ListLayerVersionsResponse
{
    public string? NextMarker { get; init; }
    public List<LayerVersionsListItem>? LayerVersions { get; init; }
}

internal sealed record TagResourceRequest
{
    public Dictionary<string, string>? Tags { get; init; }
}

internal sealed record ListTagsResponse
{
    public Dictionary<string, string>? Tags { get; init; }
}

internal sealed record PutFunctionConcurrencyRequest
{
    public int? ReservedConcurrentExecutions { get; init; }
}

internal sealed record PutProvisionedConcurrencyConfigRequest
{
    public int? ProvisionedConcurrentExecutions { get; init; }
}

internal sealed record ProvisionedConcurrencyConfig
{
    public int? RequestedProvisionedConcurrentExecutions { get; init; }
    public int? AvailableProvisionedConcurrentExecutions { get; init; }
    public int? AllocatedProvisionedConcurrentExecutions { get; init; }
    public string? Status { get; init; }
    public string? StatusReason { get; init; }
    public string? LastModified { get; init; }
}

internal sealed record ProvisionedConcurrencyConfigListItem
{
    public string? FunctionArn { get; init; }
    public int? RequestedProvisionedConcurrentExecutions { get; init; }
    public int? AvailableProvisionedConcurrentExecutions { get; init; }
    public int? AllocatedProvisionedConcurrentExecutions { get; init; }
    public string? Status { get; init; }
    public string? StatusReason { get; init; }
    public string? LastModified { get; init; }
}

internal sealed record ListProvisionedConcurrencyConfigsResponse
{
    public List<ProvisionedConcurrencyConfigListItem>? ProvisionedConcurrencyConfigs { get; init; }
    public string? NextMarker { get; init; }
}

internal sealed record AccountLimit
{
    public long TotalCodeSize { get; init; }
    public long CodeSizeUnzipped { get; init; }
    public long CodeSizeZipped { get; init; }
    public int ConcurrentExecutions { get; init; }
    public int UnreservedConcurrentExecutions { get; init; }
}

internal sealed record AccountUsage
{
    public long TotalCodeSize { get; init; }
    public long FunctionCount { get; init; }
}

internal sealed record GetAccountSettingsResponse
{
    public AccountLimit? AccountLimit { get; init; }
    public AccountUsage? AccountUsage { get; init; }
}
