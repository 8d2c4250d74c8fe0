namespace Lamina.Core.ConfigHistory;

/// <summary>
/// One recorded change of a Lambda resource: what it was before and after, when, and which API call made it.
/// States are JSON objects (<c>configuration</c> plus per-resource settings such as <c>policy</c>), never
/// holding secrets: environment variables appear as keyed hashes, code as its CodeSha256.
/// </summary>
internal sealed record ConfigChange
{
    public required long Sequence { get; init; }

    public required string AccountId { get; init; }

    /// <summary><c>AWS::Lambda::Function</c>, <c>AWS::Lambda::Version</c>, <c>AWS::Lambda::Alias</c> or <c>AWS::Lambda::LayerVersion</c>.</summary>
    public required string ResourceType { get; init; }

    /// <summary>The function name; <c>NAME:VERSION</c>, <c>NAME:ALIAS</c>, or <c>LAYER:VERSION</c> for the others.</summary>
    public required string ResourceId { get; init; }

    /// <summary>The function or layer name.</summary>
    public required string Name { get; init; }

    /// <summary>Version number, alias name or layer version; null for a function.</summary>
    public string? Qualifier { get; init; }

    /// <summary><c>CREATE</c>, <c>UPDATE</c> or <c>DELETE</c>.</summary>
    public required string ChangeType { get; init; }

    public required DateTimeOffset CapturedAt { get; init; }

    /// <summary>The <c>eventID</c> of the audit record of the call that made the change; null for changes made outside an API call.</summary>
    public string? EventId { get; init; }

    public string? EventName { get; init; }

    public string? Before { get; init; }

    public string? After { get; init; }
}

/// <summary>The resource types configuration history covers.</summary>
internal static class ConfigResourceTypes
{
    public const string Function = "AWS::Lambda::Function";
    public const string Version = "AWS::Lambda::Version";
    public const string Alias = "AWS::Lambda::Alias";
    public const string LayerVersion = "AWS::Lambda::LayerVersion";

    public static readonly IReadOnlyList<string> All = [Function, Version, Alias, LayerVersion];
}
