namespace Lamina.Core.Audit;

/// <summary>Whether and how an API call is recorded: CloudTrail's <c>eventCategory</c>.</summary>
internal enum AuditCategory
{
    /// <summary>Not recorded: Lamina-internal operations (presigned code downloads), whose user-facing call is recorded instead.</summary>
    None,

    /// <summary>Control-plane calls (CloudTrail management events).</summary>
    Management,

    /// <summary>Calls on data: Invoke and the durable execution calls (CloudTrail data events).</summary>
    Data,
}

/// <summary>A resource an event names, for <c>LookupEvents</c> (<c>ResourceType</c>/<c>ResourceName</c>) and the record's <c>resources</c>.</summary>
/// <param name="Type">CloudFormation-style type, e.g. <c>AWS::Lambda::Function</c>.</param>
/// <param name="Name">The name LookupEvents shows and matches, e.g. the function name.</param>
/// <param name="Arn">The resource's ARN when known; LookupEvents matches it too.</param>
internal sealed record AuditResource(string Type, string Name, string? Arn = null);

/// <summary>
/// One audit record as stored: the CloudTrail JSON (<see cref="Record"/>) plus the attributes LookupEvents
/// filters on. One API call yields one event per account that receives it (the caller's, and the resource
/// owner's for a cross-account call).
/// </summary>
internal sealed record AuditEvent
{
    public required string AccountId { get; init; }

    public required string EventId { get; init; }

    public required DateTimeOffset EventTime { get; init; }

    public required string EventName { get; init; }

    /// <summary>e.g. <c>lambda.amazonaws.com</c>.</summary>
    public required string EventSource { get; init; }

    /// <summary>LookupEvents' <c>Username</c>: the user name, <c>root</c>, or a role session's name.</summary>
    public string? Username { get; init; }

    public string? AccessKeyId { get; init; }

    public required bool ReadOnly { get; init; }

    public required AuditCategory Category { get; init; }

    public IReadOnlyList<AuditResource> Resources { get; init; } = [];

    /// <summary>The CloudTrail record, one JSON object, exactly as it goes into the log file.</summary>
    public required string Record { get; init; }

    /// <summary>Store order (assigned on append); log files hold records in this order.</summary>
    public long Sequence { get; init; }
}
