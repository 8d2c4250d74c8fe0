using System.Globalization;
using System.Text;
using System.Text.Json;
using Lamina.Core.Api.Audit;
using Lamina.Core.Errors;
using Lamina.Core.Functions;
using Lamina.Core.Storage;

namespace Lamina.Core.ConfigHistory;

/// <summary>One page of a resource's history and the token for the next.</summary>
internal sealed record ConfigHistoryPage(IReadOnlyList<ConfigChange> Changes, string? NextToken);

/// <summary>
/// Queries configuration history the way AWS Config's GetResourceConfigHistory does: one resource, a time
/// range (earlierTime/laterTime), newest first unless chronologicalOrder is Forward, at most 100 per page.
/// </summary>
internal sealed class ConfigHistoryService(IStore store, ControlPlaneOptions options)
{
    public const int DefaultLimit = 10;
    public const int MaxLimit = 100;

    public async Task<Outcome<ConfigHistoryPage>> GetAsync(string accountId, string resourceType, string resourceId, DateTimeOffset? earlier,
        DateTimeOffset? later, bool forward, int? limit, string? nextToken, CancellationToken cancellationToken)
    {
        if (!ConfigResourceTypes.All.Contains(resourceType))
        {
            return new AwsError(400, "ValidationException",
                $"Value '{resourceType}' at 'resourceType' failed to satisfy constraint: Lamina records {string.Join(", ", ConfigResourceTypes.All)}");
        }

        if (resourceId.Length is 0 or > 768)
        {
            return new AwsError(400, "ValidationException", "Value at 'resourceId' failed to satisfy constraint: Member must have length between 1 and 768");
        }

        if (earlier is { } e && later is { } l && e > l)
        {
            return new AwsError(400, "InvalidTimeRangeException", "The earlierTime must be before the laterTime.");
        }

        if (limit is < 0 or > MaxLimit)
        {
            return new AwsError(400, "InvalidLimitException", $"The limit must be between 0 and {MaxLimit}.");
        }

        long? after = null;
        if (!string.IsNullOrEmpty(nextToken))
        {
            if (!TryDecodeToken(nextToken, out var sequence))
            {
                return new AwsError(400, "InvalidNextTokenException", "The nextToken provided is invalid.");
            }

            after = sequence;
        }

        var pageSize = limit is null or 0 ? DefaultLimit : limit.Value;
        var changes = await store.ConfigHistory.ListAsync(accountId, resourceType, resourceId, earlier, later, forward, after, pageSize + 1,
            cancellationToken);
        if (changes.Count == 0 && after is null
            && (await store.ConfigHistory.ListAsync(accountId, resourceType, resourceId, null, null, forward, null, 1, cancellationToken)).Count == 0)
        {
            return new AwsError(400, "ResourceNotDiscoveredException",
                $"Resource {resourceId} of resourceType:{resourceType} is unknown or has not been discovered");
        }

        var page = changes.Take(pageSize).ToList();
        return new ConfigHistoryPage(page, changes.Count > pageSize ? EncodeToken(page[^1].Sequence) : null);
    }

    /// <summary>The ARN of the resource a change is about.</summary>
    public string Arn(ConfigChange change) => change.ResourceType == ConfigResourceTypes.LayerVersion
        ? Arns.LayerVersion(options.Region, change.AccountId, change.Name, long.Parse(change.Qualifier!, CultureInfo.InvariantCulture))
        : Arns.Function(options.Region, change.AccountId, change.Name, change.Qualifier);

    public string Region => options.Region;

    /// <summary>
    /// A change as AWS Config's ConfigurationItem: <c>configuration</c> is the state after the change (empty once
    /// deleted); the other parts of the state (policy, concurrency, event-invoke config) go into
    /// <c>supplementaryConfiguration</c>, with Lamina's <c>ChangeType</c>, <c>EventName</c> and <c>PreviousState</c>.
    /// </summary>
    public ConfigurationItem ToItem(ConfigChange change)
    {
        var item = new ConfigurationItem
        {
            Version = "1.3",
            AccountId = change.AccountId,
            ConfigurationItemCaptureTime = change.CapturedAt,
            ConfigurationItemStatus = Status(change),
            ConfigurationStateId = change.Sequence.ToString(CultureInfo.InvariantCulture),
            ConfigurationItemMD5Hash = "",
            Arn = Arn(change),
            ResourceType = change.ResourceType,
            ResourceId = change.ResourceId,
            ResourceName = change.ResourceId,
            AwsRegion = options.Region,
            AvailabilityZone = "Not Applicable",
            RelatedEvents = change.EventId is null ? [] : [change.EventId],
        };
        item.SupplementaryConfiguration["ChangeType"] = change.ChangeType;
        if (change.EventName is not null)
        {
            item.SupplementaryConfiguration["EventName"] = change.EventName;
        }

        if (change.Before is not null)
        {
            using var before = JsonDocument.Parse(change.Before);
            item.SupplementaryConfiguration["PreviousState"] = Json(before.RootElement);
        }

        if (change.After is null)
        {
            return item;
        }

        using var state = JsonDocument.Parse(change.After);
        foreach (var part in state.RootElement.EnumerateObject())
        {
            if (part.Name == "configuration")
            {
                item.Configuration = Json(part.Value);
            }
            else if (part.Name == "tags" && part.Value.ValueKind == JsonValueKind.Object)
            {
                foreach (var tag in part.Value.EnumerateObject())
                {
                    item.Tags[tag.Name] = tag.Value.GetString() ?? "";
                }
            }
            else if (part.Value.ValueKind != JsonValueKind.Null)
            {
                item.SupplementaryConfiguration[char.ToUpperInvariant(part.Name[0]) + part.Name[1..]] = Json(part.Value);
            }
        }

        return item;
    }

    /// <summary>
    /// JSON text as AWS writes it: only what JSON requires escaped. Stored configurations escape '+' (CodeSha256)
    /// as \u002B; rewriting them keeps the history's text equal to what the Lambda API returned.
    /// </summary>
    public static string Json(JsonElement element)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            element.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>AWS Config's status for a change: created, updated, deleted.</summary>
    public static string Status(ConfigChange change) => change.ChangeType switch
    {
        "CREATE" => "ResourceDiscovered",
        "DELETE" => "ResourceDeleted",
        _ => "OK",
    };

    private static string EncodeToken(long sequence) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"ch:{sequence}"));

    private static bool TryDecodeToken(string token, out long sequence)
    {
        sequence = 0;
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            return text.StartsWith("ch:", StringComparison.Ordinal) && long.TryParse(text.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out sequence);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
