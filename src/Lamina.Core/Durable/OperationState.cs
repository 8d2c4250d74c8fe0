using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lamina.Core.Crypto;

namespace Lamina.Core.Durable;

/// <summary>Operation types, statuses and actions as the API spells them.</summary>
internal static class Op
{
    public const string Execution = "EXECUTION";
    public const string Context = "CONTEXT";
    public const string Step = "STEP";
    public const string Wait = "WAIT";
    public const string Callback = "CALLBACK";
    public const string ChainedInvoke = "CHAINED_INVOKE";

    public const string Started = "STARTED";
    public const string Pending = "PENDING";
    public const string Ready = "READY";
    public const string Succeeded = "SUCCEEDED";
    public const string Failed = "FAILED";
    public const string Cancelled = "CANCELLED";
    public const string TimedOut = "TIMED_OUT";
    public const string Stopped = "STOPPED";

    public static readonly IReadOnlyList<string> Types = [Execution, Context, Step, Wait, Callback, ChainedInvoke];
    public static readonly IReadOnlyList<string> Actions = ["START", "SUCCEED", "FAIL", "RETRY", "CANCEL"];

    /// <summary>The Operation member that carries each type's details.</summary>
    public static string DetailsMember(string type) => type switch
    {
        Execution => "ExecutionDetails",
        Context => "ContextDetails",
        Step => "StepDetails",
        Wait => "WaitDetails",
        Callback => "CallbackDetails",
        _ => "ChainedInvokeDetails",
    };

    public static bool IsClosed(string status) => status is Succeeded or Failed or Cancelled or TimedOut or Stopped;
}

/// <summary>How timestamps are written: API bodies use epoch seconds, the invocation event ISO-8601 strings.</summary>
internal enum TimestampStyle
{
    EpochSeconds,
    Iso,
}

/// <summary>
/// A working copy of one operation while a change is decided. Details hold the API's details members;
/// timestamps inside them are epoch milliseconds; members starting with <c>_</c> are Lamina's own and never
/// leave the server.
/// </summary>
internal sealed class OperationState
{
    private static readonly HashSet<string> TimestampMembers = ["NextAttemptTimestamp", "ScheduledEndTimestamp"];

    public required string Id { get; init; }
    public string? ParentId { get; init; }
    public required string Type { get; init; }
    public string? SubType { get; set; }
    public string? Name { get; set; }
    public required string Status { get; set; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; set; }
    public required long Seq { get; init; }
    public long ChangeSeq { get; set; }
    public JsonObject Details { get; init; } = [];
    public string? CallbackId { get; set; }

    public static string Context(string arn, string id) => $"durable:op:{arn}:{id}";

    public static OperationState Open(DurableOperationRecord r, Envelope envelope, string arn) => new()
    {
        Id = r.Id,
        ParentId = r.ParentId,
        Type = r.Type,
        SubType = r.SubType,
        Name = r.Name,
        Status = r.Status,
        StartedAt = r.StartedAt,
        EndedAt = r.EndedAt,
        Seq = r.Seq,
        ChangeSeq = r.ChangeSeq,
        Details = JsonNode.Parse(envelope.Open(r.SealedDetails, Context(arn, r.Id)))!.AsObject(),
        CallbackId = r.CallbackId,
    };

    public DurableOperationRecord Seal(Envelope envelope, string arn) => new()
    {
        Id = Id,
        ParentId = ParentId,
        Type = Type,
        SubType = SubType,
        Name = Name,
        Status = Status,
        StartedAt = StartedAt,
        EndedAt = EndedAt,
        Seq = Seq,
        ChangeSeq = ChangeSeq,
        SealedDetails = envelope.Seal(JsonSerializer.SerializeToUtf8Bytes(Details), Context(arn, Id)),
        CallbackId = CallbackId,
    };

    public string? Text(string member) => Details[member]?.GetValue<string>();

    /// <summary>A numeric member, whether it was parsed from JSON or set here as an int or a long.</summary>
    public long? Number(string member) => Details[member] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<int>(out var i) => i,
        JsonValue v when v.TryGetValue<double>(out var d) => (long)d,
        _ => null,
    };

    /// <summary>The API's Operation object.</summary>
    public JsonObject Render(TimestampStyle style)
    {
        var o = new JsonObject { ["Id"] = Id };
        if (ParentId is not null)
        {
            o["ParentId"] = ParentId;
        }

        if (Name is not null)
        {
            o["Name"] = Name;
        }

        o["Type"] = Type;
        if (SubType is not null)
        {
            o["SubType"] = SubType;
        }

        o["StartTimestamp"] = Timestamp(StartedAt, style);
        if (EndedAt is { } ended)
        {
            o["EndTimestamp"] = Timestamp(ended, style);
        }

        o["Status"] = Status;
        var details = new JsonObject();
        foreach (var (key, value) in Details)
        {
            if (key.StartsWith('_') || value is null)
            {
                continue;
            }

            details[key] = TimestampMembers.Contains(key)
                ? Timestamp(DateTimeOffset.FromUnixTimeMilliseconds(value.GetValue<long>()), style)
                : value.DeepClone();
        }

        o[Op.DetailsMember(Type)] = details;
        return o;
    }

    public static JsonNode Timestamp(DateTimeOffset t, TimestampStyle style) => style == TimestampStyle.Iso
        ? JsonValue.Create(t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))
        : JsonValue.Create(Math.Round(t.ToUnixTimeMilliseconds() / 1000.0, 3));
}
