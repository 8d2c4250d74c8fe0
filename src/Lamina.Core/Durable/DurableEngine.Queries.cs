using System.Globalization;
using System.Text.Json.Nodes;
using Lamina.Core.Errors;

namespace Lamina.Core.Durable;

internal sealed partial class DurableEngine
{
    public static AwsError ExecutionNotFound(string arn) => LambdaErrors.ResourceNotFound($"Durable execution not found: {arn}");

    public Task<DurableExecutionRecord?> GetExecutionRecordAsync(string arn, CancellationToken cancellationToken) => Store.GetExecutionAsync(arn, cancellationToken);

    /// <summary>GetDurableExecution's body.</summary>
    public JsonObject Describe(DurableExecutionRecord x)
    {
        var o = new JsonObject
        {
            ["DurableExecutionArn"] = x.Arn,
            ["DurableExecutionName"] = x.Name,
            ["FunctionArn"] = x.FunctionArn,
            ["InputPayload"] = OpenText(x, "input", x.SealedInput),
        };
        if (OpenText(x, "result", x.SealedResult) is { } result)
        {
            o["Result"] = result;
        }

        if (OpenText(x, "error", x.SealedError) is { } error)
        {
            o["Error"] = JsonNode.Parse(error);
        }

        o["StartTimestamp"] = OperationState.Timestamp(x.StartedAt, TimestampStyle.EpochSeconds);
        o["Status"] = x.Status;
        if (x.EndedAt is { } ended)
        {
            o["EndTimestamp"] = OperationState.Timestamp(ended, TimestampStyle.EpochSeconds);
        }

        o["Version"] = x.Version;
        if (x.TraceId is { } trace)
        {
            o["TraceHeader"] = new JsonObject { ["XAmznTraceId"] = trace };
        }

        return o;
    }

    /// <summary>An entry of ListDurableExecutionsByFunction.</summary>
    public static JsonObject Summarize(DurableExecutionRecord x)
    {
        var o = new JsonObject
        {
            ["DurableExecutionArn"] = x.Arn,
            ["DurableExecutionName"] = x.Name,
            ["FunctionArn"] = x.FunctionArn,
            ["Status"] = x.Status,
            ["StartTimestamp"] = OperationState.Timestamp(x.StartedAt, TimestampStyle.EpochSeconds),
        };
        if (x.EndedAt is { } ended)
        {
            o["EndTimestamp"] = OperationState.Timestamp(ended, TimestampStyle.EpochSeconds);
        }

        return o;
    }

    /// <summary>ListDurableExecutionsByFunction; the marker is the last entry's (start time, ARN).</summary>
    public async Task<Outcome<JsonObject>> ListAsync(ExecutionQuery query, string? marker, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(marker))
        {
            var parts = marker.Split('|', 2);
            if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var at))
            {
                return LambdaErrors.InvalidParameter("Marker is not one this API returned.");
            }

            query = query with { After = (at, parts[1]) };
        }

        var rows = await Store.ListExecutionsAsync(query with { Limit = query.Limit + 1 }, cancellationToken);
        var page = rows.Take(query.Limit).ToList();
        var result = new JsonObject { ["DurableExecutions"] = new JsonArray(page.Select(x => (JsonNode)Summarize(x)).ToArray()) };
        if (rows.Count > query.Limit)
        {
            var last = page[^1];
            result["NextMarker"] = $"{last.StartedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}|{last.Arn}";
        }

        return result;
    }

    /// <summary>GetDurableExecutionHistory; without execution data, payloads are left out.</summary>
    public async Task<Outcome<JsonObject>> HistoryAsync(DurableExecutionRecord x, bool includeData, int? maxItems, string? marker, bool reverse,
        CancellationToken cancellationToken)
    {
        long? after = null;
        if (!string.IsNullOrEmpty(marker))
        {
            if (!long.TryParse(marker, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                return LambdaErrors.InvalidParameter("Marker is not one this API returned.");
            }

            after = parsed;
        }

        var limit = maxItems is null or 0 ? 100 : Math.Clamp(maxItems.Value, 1, 1000);
        var rows = await Store.ListHistoryAsync(x.Arn, after, limit + 1, reverse, cancellationToken);
        var events = new JsonArray();
        foreach (var row in rows.Take(limit))
        {
            var e = JsonNode.Parse(envelope.Open(row.SealedEvent, HistoryContext(x.Arn, row.EventId)))!.AsObject();
            if (!includeData)
            {
                StripPayloads(e);
            }

            events.Add(e);
        }

        var result = new JsonObject { ["Events"] = events };
        if (rows.Count > limit)
        {
            result["NextMarker"] = rows[limit - 1].EventId.ToString(CultureInfo.InvariantCulture);
        }

        return result;
    }

    private static void StripPayloads(JsonObject e)
    {
        foreach (var (key, value) in e)
        {
            if (key.EndsWith("Details", StringComparison.Ordinal) && value is JsonObject details)
            {
                foreach (var member in new[] { "Input", "Result", "Error" })
                {
                    (details[member] as JsonObject)?.Remove("Payload");
                }
            }
        }
    }
}
