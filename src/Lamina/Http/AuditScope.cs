using System.Text.Json.Nodes;
using Lamina.Core.Audit;

namespace Lamina.Http;

/// <summary>
/// What one API call's audit record will hold beyond what the front door derives itself. Handlers use it to
/// name what a payload-carrying call was about (an execution ARN, step or operation ids), extra resources, and
/// the accounts that must receive the record.
/// </summary>
/// <remarks>
/// Values added here are recorded as given: never add a secret or a payload. Names follow CloudTrail's
/// lower camel case (<c>durableExecutionArn</c>).
/// </remarks>
internal sealed class AuditScope(DateTimeOffset eventTime)
{
    private readonly object _lock = new();
    private readonly List<AuditResource> _resources = [];
    private readonly HashSet<string> _recipients = new(StringComparer.Ordinal);

    /// <summary>The <c>eventID</c> of the caller's copy of the record.</summary>
    /// <remarks>
    /// A version 7 UUID (time-ordered, still a well-formed UUID as CloudTrail's are): every call inserts its
    /// event id into an index, and random v4 ids land each insert on a different leaf page, so a batch of
    /// 16 reads can dirty up to 16 more pages in the write-ahead log than ordered ids do.
    /// </remarks>
    public string EventId { get; } = Guid.CreateVersion7().ToString();

    /// <summary>When the request arrived (<c>eventTime</c>).</summary>
    public DateTimeOffset EventTime { get; } = eventTime;

    internal JsonObject RequestParameters { get; } = [];

    internal JsonObject ResponseElements { get; } = [];

    internal JsonObject AdditionalEventData { get; } = [];

    internal IReadOnlyList<AuditResource> Resources
    {
        get
        {
            lock (_lock)
            {
                return [.. _resources];
            }
        }
    }

    internal IReadOnlyCollection<string> Recipients
    {
        get
        {
            lock (_lock)
            {
                return [.. _recipients];
            }
        }
    }

    /// <summary>Set once the record is being written; every later commit waits for the same write.</summary>
    internal Task<bool>? Commit { get; set; }

    /// <summary>The caller has been answered with the error for an unwritable record (so the response may start).</summary>
    internal bool FailureAnswered { get; set; }

    /// <summary>Adds (or replaces) a <c>requestParameters</c> member.</summary>
    public void Request(string name, string? value) => Set(RequestParameters, name, value is null ? null : JsonValue.Create(value));

    public void Request(string name, JsonNode? value) => Set(RequestParameters, name, value);

    /// <summary>Adds (or replaces) a <c>responseElements</c> member; recorded even for calls whose response is not.</summary>
    public void Response(string name, string? value) => Set(ResponseElements, name, value is null ? null : JsonValue.Create(value));

    public void Response(string name, JsonNode? value) => Set(ResponseElements, name, value);

    /// <summary>Adds an <c>additionalEventData</c> member (e.g. Invoke's <c>functionVersion</c>).</summary>
    public void Data(string name, string? value) => Set(AdditionalEventData, name, value is null ? null : JsonValue.Create(value));

    /// <summary>Names a resource the call touched (the record's <c>resources</c>, LookupEvents' ResourceName/ResourceType).</summary>
    public void Resource(string type, string name, string? arn = null)
    {
        lock (_lock)
        {
            if (!_resources.Any(r => r.Type == type && r.Name == name))
            {
                _resources.Add(new AuditResource(type, name, arn));
            }
        }
    }

    /// <summary>Another account that receives the record too: the owner of a resource used across accounts.</summary>
    public void Recipient(string accountId)
    {
        lock (_lock)
        {
            _recipients.Add(accountId);
        }
    }

    private void Set(JsonObject target, string name, JsonNode? value)
    {
        lock (_lock)
        {
            target[name] = value;
        }
    }
}
