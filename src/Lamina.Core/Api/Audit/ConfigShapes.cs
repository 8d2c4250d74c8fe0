using System.Text.Json.Serialization;

namespace Lamina.Core.Api.Audit;

// Shapes of the AWS Config 2014-11-12 model (JSON 1.1, camelCase members) for GetResourceConfigHistory.

internal sealed class GetResourceConfigHistoryRequest
{
    public string? ResourceType { get; set; }
    public string? ResourceId { get; set; }

    [JsonConverter(typeof(EpochSecondsConverter))]
    public DateTimeOffset? LaterTime { get; set; }

    [JsonConverter(typeof(EpochSecondsConverter))]
    public DateTimeOffset? EarlierTime { get; set; }

    public string? ChronologicalOrder { get; set; }
    public int? Limit { get; set; }
    public string? NextToken { get; set; }
}

internal sealed class ConfigurationItem
{
    public string? Version { get; set; }
    public string? AccountId { get; set; }

    [JsonConverter(typeof(EpochSecondsConverter))]
    public DateTimeOffset ConfigurationItemCaptureTime { get; set; }

    public string? ConfigurationItemStatus { get; set; }
    public string? ConfigurationStateId { get; set; }
    public string? ConfigurationItemMD5Hash { get; set; }
    public string? Arn { get; set; }
    public string? ResourceType { get; set; }
    public string? ResourceId { get; set; }
    public string? ResourceName { get; set; }
    public string? AwsRegion { get; set; }
    public string? AvailabilityZone { get; set; }
    public Dictionary<string, string> Tags { get; set; } = [];
    public List<string> RelatedEvents { get; set; } = [];
    public List<string> Relationships { get; set; } = [];
    public string? Configuration { get; set; }
    public Dictionary<string, string> SupplementaryConfiguration { get; set; } = [];
}

internal sealed class GetResourceConfigHistoryResponse
{
    public List<ConfigurationItem> ConfigurationItems { get; set; } = [];
    public string? NextToken { get; set; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(GetResourceConfigHistoryRequest))]
[JsonSerializable(typeof(GetResourceConfigHistoryResponse))]
internal sealed partial class ConfigJson : JsonSerializerContext;
