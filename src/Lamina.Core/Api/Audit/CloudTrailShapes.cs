using System.Text.Json.Serialization;

namespace Lamina.Core.Api.Audit;

// Shapes of the CloudTrail 2013-11-01 model (JSON 1.1, PascalCase members) that Lamina serves.

internal sealed class LookupAttribute
{
    public string? AttributeKey { get; set; }
    public string? AttributeValue { get; set; }
}

internal sealed class LookupEventsRequest
{
    public List<LookupAttribute>? LookupAttributes { get; set; }

    [JsonConverter(typeof(EpochSecondsConverter))]
    public DateTimeOffset? StartTime { get; set; }

    [JsonConverter(typeof(EpochSecondsConverter))]
    public DateTimeOffset? EndTime { get; set; }

    public string? EventCategory { get; set; }
    public int? MaxResults { get; set; }
    public string? NextToken { get; set; }
}

internal sealed class TrailResource
{
    public string? ResourceType { get; set; }
    public string? ResourceName { get; set; }
}

internal sealed class TrailEvent
{
    public string? EventId { get; set; }
    public string? EventName { get; set; }
    public string? ReadOnly { get; set; }
    public string? AccessKeyId { get; set; }

    [JsonConverter(typeof(EpochSecondsConverter))]
    public DateTimeOffset EventTime { get; set; }

    public string? EventSource { get; set; }
    public string? Username { get; set; }
    public List<TrailResource> Resources { get; set; } = [];
    public string? CloudTrailEvent { get; set; }
}

internal sealed class LookupEventsResponse
{
    public List<TrailEvent> Events { get; set; } = [];
    public string? NextToken { get; set; }
}

internal sealed class ListPublicKeysRequest
{
    [JsonConverter(typeof(EpochSecondsConverter))]
    public DateTimeOffset? StartTime { get; set; }

    [JsonConverter(typeof(EpochSecondsConverter))]
    public DateTimeOffset? EndTime { get; set; }

    public string? NextToken { get; set; }
}

internal sealed class PublicKeyShape
{
    /// <summary>The DER encoded public key in PKCS#1 format (base64 on the wire).</summary>
    public byte[]? Value { get; set; }

    [JsonConverter(typeof(EpochSecondsConverter))]
    public DateTimeOffset ValidityStartTime { get; set; }

    [JsonConverter(typeof(EpochSecondsConverter))]
    public DateTimeOffset? ValidityEndTime { get; set; }

    public string? Fingerprint { get; set; }
}

internal sealed class ListPublicKeysResponse
{
    public List<PublicKeyShape> PublicKeyList { get; set; } = [];
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(LookupEventsRequest))]
[JsonSerializable(typeof(LookupEventsResponse))]
[JsonSerializable(typeof(ListPublicKeysRequest))]
[JsonSerializable(typeof(ListPublicKeysResponse))]
internal sealed partial class CloudTrailJson : JsonSerializerContext;
