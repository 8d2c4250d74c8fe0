using System.Text.Json;

namespace Lamina.Durable;

/// <summary>Conversions between <see cref="BatchResult{T}"/> and its recorded forms (full result and summary).</summary>
internal static class BatchWire
{
    public static string Status(BatchItemStatus status) => status switch
    {
        BatchItemStatus.Succeeded => "SUCCEEDED",
        BatchItemStatus.Failed => "FAILED",
        _ => "STARTED",
    };

    public static string Reason(BatchCompletionReason reason) => reason switch
    {
        BatchCompletionReason.MinSuccessfulReached => "MIN_SUCCESSFUL_REACHED",
        BatchCompletionReason.FailureToleranceExceeded => "FAILURE_TOLERANCE_EXCEEDED",
        _ => "ALL_COMPLETED",
    };

    public static BatchCompletionReason? ParseReason(string? reason) => reason switch
    {
        "ALL_COMPLETED" => BatchCompletionReason.AllCompleted,
        "MIN_SUCCESSFUL_REACHED" => BatchCompletionReason.MinSuccessfulReached,
        "FAILURE_TOLERANCE_EXCEEDED" => BatchCompletionReason.FailureToleranceExceeded,
        _ => null,
    };

    public static BatchResultData<T> ToData<T>(BatchResult<T> result) => new()
    {
        All = [.. result.All.Select(item => new BatchItemData<T>
        {
            Result = item.Result,
            Error = item.Error is null ? null : ToData(item.Error, 0),
            Index = item.Index,
            Status = Status(item.Status),
        })],
        CompletionReason = Reason(result.CompletionReason),
    };

    public static BatchResult<T> FromData<T>(BatchResultData<T>? data)
    {
        if (data is null)
        {
            return new BatchResult<T>([], BatchCompletionReason.AllCompleted);
        }

        var items = data.All.Select(item => new BatchItem<T>(item.Index,
            item.Status switch { "SUCCEEDED" => BatchItemStatus.Succeeded, "FAILED" => BatchItemStatus.Failed, _ => BatchItemStatus.Started },
            item.Result, item.Error is null ? null : FromData(item.Error))).ToList();
        return new BatchResult<T>(items, ParseReason(data.CompletionReason) ?? BatchCompletionReason.AllCompleted);
    }

    private static BatchErrorData ToData(Exception error, int depth)
    {
        var wire = DurableOperationException.ErrorObjectFor(error);
        return new BatchErrorData
        {
            ErrorType = wire.ErrorType,
            ErrorMessage = wire.ErrorMessage,
            ErrorData = wire.ErrorData,
            Cause = error.InnerException is { } inner && depth < 10 ? ToData(inner, depth + 1) : null,
        };
    }

    private static DurableOperationException FromData(BatchErrorData data)
    {
        var cause = data.Cause is null ? null : FromData(data.Cause);
        if (data.ErrorType == "ChildContextError")
        {
            return new ChildContextException(data.ErrorMessage ?? "Child context failed", cause?.ErrorType, data.ErrorData, cause);
        }

        return DurableOperationException.FromErrorObject(new ErrorObject { ErrorType = data.ErrorType, ErrorMessage = data.ErrorMessage, ErrorData = data.ErrorData });
    }

    /// <summary>The summary recorded instead of a result over 256 KB (the official SDK's Parallel/Map summary generators).</summary>
    public static string Summary<T>(BatchResult<T> result, bool parallel)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", parallel ? "ParallelResult" : "MapResult");
            writer.WriteNumber("totalCount", result.TotalCount);
            writer.WriteNumber("successCount", result.SuccessCount);
            writer.WriteNumber("failureCount", result.FailureCount);
            if (parallel)
            {
                writer.WriteNumber("startedCount", result.StartedCount);
            }

            writer.WriteString("completionReason", Reason(result.CompletionReason));
            writer.WriteString("status", Status(result.Status));
            writer.WriteString("itemStatuses", ItemStatuses(result));
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>One character per index up to the last started item: S succeeded, F failed, - otherwise.</summary>
    private static string ItemStatuses<T>(BatchResult<T> result)
    {
        if (result.All.Count == 0)
        {
            return "";
        }

        var chars = new char[result.All.Max(i => i.Index) + 1];
        Array.Fill(chars, '-');
        foreach (var item in result.All)
        {
            chars[item.Index] = item.Status switch { BatchItemStatus.Succeeded => 'S', BatchItemStatus.Failed => 'F', _ => '-' };
        }

        return new string(chars);
    }

    /// <summary>Reads completionReason and itemStatuses back from a recorded summary; nulls when absent or malformed.</summary>
    public static (BatchCompletionReason? Reason, string? ItemStatuses) ParseSummary(string? summary)
    {
        if (string.IsNullOrEmpty(summary))
        {
            return (null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(summary);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            var reason = root.TryGetProperty("completionReason", out var r) && r.ValueKind == JsonValueKind.String ? ParseReason(r.GetString()) : null;
            string? statuses = null;
            if (root.TryGetProperty("itemStatuses", out var s) && s.ValueKind == JsonValueKind.String &&
                s.GetString() is { Length: > 0 } text && text.All(c => c is 'S' or 'F' or '-'))
            {
                statuses = text;
            }

            return (reason, statuses);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }
}

/// <summary>Records a batch result through the context's serializer in its <see cref="BatchResultData{T}"/> shape.</summary>
internal sealed class BatchResultSerializer<T>(IDurableSerializer inner) : IDurableSerializer
{
    public async ValueTask<string?> SerializeAsync<TValue>(TValue value, SerdesContext context, CancellationToken cancellationToken) =>
        value is BatchResult<T> result
            ? await inner.SerializeAsync(BatchWire.ToData(result), context, cancellationToken)
            : throw new NotSupportedException("Batch results only.");

    public async ValueTask<TValue?> DeserializeAsync<TValue>(string? payload, SerdesContext context, CancellationToken cancellationToken)
    {
        var data = payload is null ? null : await inner.DeserializeAsync<BatchResultData<T>>(payload, context, cancellationToken);
        return (TValue?)(object)BatchWire.FromData(data);
    }
}
