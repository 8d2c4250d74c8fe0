using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Lamina.Core.Async;
using Lamina.Core.Errors;

namespace Lamina.Core.Durable;

/// <summary>One update of a CheckpointDurableExecution request.</summary>
internal sealed record OperationUpdate(
    string Id,
    string? ParentId,
    string? Name,
    string Type,
    string? SubType,
    string Action,
    string? Payload,
    JsonObject? Error,
    JsonObject? Options);

internal sealed partial class DurableEngine
{
    /// <summary>The token-check failure the SDK treats as invocation-scoped (it retries with a new invocation).</summary>
    public static AwsError InvalidToken() => LambdaErrors.InvalidParameter(
        "Invalid Checkpoint Token: it is not the current token of this execution's running invocation (each checkpoint consumes the token " +
        "it was given and returns a new one; an execution that has closed accepts no more checkpoints).");

    private static AwsError Invalid(string message) => LambdaErrors.InvalidParameter(message);

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex OperationIdPattern();

    [GeneratedRegex("^[\\x20-\\x7E]{1,256}$")]
    private static partial Regex OperationNamePattern();

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,32}$")]
    private static partial Regex SubTypePattern();

    /// <summary>Parses and checks the shape of each update (what needs no state); the state machine is checked when applying.</summary>
    public static Outcome<List<OperationUpdate>> ParseUpdates(JsonArray? updates)
    {
        var list = new List<OperationUpdate>();
        if (updates is null)
        {
            return list;
        }

        for (var i = 0; i < updates.Count; i++)
        {
            if (updates[i] is not JsonObject u)
            {
                return Invalid($"Updates[{i}] must be an object.");
            }

            string? Str(string member) => u[member] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            var id = Str("Id");
            var type = Str("Type");
            var action = Str("Action");
            if (id is null || !OperationIdPattern().IsMatch(id))
            {
                return Invalid($"Updates[{i}].Id must match [a-zA-Z0-9-_]{{1,64}}.");
            }

            if (type is null || !Op.Types.Contains(type))
            {
                return Invalid($"Updates[{i}].Type must be one of {string.Join(", ", Op.Types)}.");
            }

            if (action is null || !Op.Actions.Contains(action))
            {
                return Invalid($"Updates[{i}].Action must be one of {string.Join(", ", Op.Actions)}.");
            }

            var parent = Str("ParentId");
            if (parent is not null && !OperationIdPattern().IsMatch(parent))
            {
                return Invalid($"Updates[{i}].ParentId must match [a-zA-Z0-9-_]{{1,64}}.");
            }

            var name = Str("Name");
            if (name is not null && !OperationNamePattern().IsMatch(name))
            {
                return Invalid($"Updates[{i}].Name must be 1 to 256 printable ASCII characters.");
            }

            var subType = Str("SubType");
            if (subType is not null && !SubTypePattern().IsMatch(subType))
            {
                return Invalid($"Updates[{i}].SubType must match [a-zA-Z0-9-_]{{1,32}}.");
            }

            var options = type switch
            {
                Op.Step => u["StepOptions"],
                Op.Wait => u["WaitOptions"],
                Op.Callback => u["CallbackOptions"],
                Op.ChainedInvoke => u["ChainedInvokeOptions"],
                Op.Context => u["ContextOptions"],
                _ => null,
            } as JsonObject;
            list.Add(new OperationUpdate(id, parent, name, type, subType, action, Str("Payload"), u["Error"] as JsonObject, options));
        }

        var executions = list.Count(u => u.Type == Op.Execution);
        if (executions > 1 || (executions == 1 && list[^1].Type != Op.Execution))
        {
            return Invalid("A checkpoint may carry at most one EXECUTION update, and it must be the last update.");
        }

        return list;
    }

    /// <summary>
    /// CheckpointDurableExecution: checks the token, applies the updates in order, mints the next token, and
    /// answers with every operation the request touched plus every change the invocation has not seen.
    /// A repeated ClientToken gets the first answer again.
    /// </summary>
    public async Task<Outcome<JsonObject>> CheckpointAsync(string arn, string token, List<OperationUpdate> updates, string? clientToken,
        CancellationToken cancellationToken)
    {
        if (clientToken is not null && await Store.GetCheckpointAsync(arn, clientToken, cancellationToken) is { } cached &&
            Now - cached.At < ClientTokenWindow && await Store.GetExecutionAsync(arn, cancellationToken) is { } owner)
        {
            return JsonNode.Parse(envelope.Open(cached.SealedResponse, owner.PayloadContext("checkpoint:" + clientToken)))!.AsObject();
        }

        return await MutateAsync(arn, async c =>
        {
            var x = c.Execution;
            if (x.IsClosed || x.Token is null || !FixedTimeEquals(x.Token, token))
            {
                c.Write = false;
                return (Outcome<JsonObject>)InvalidToken();
            }

            var now = Now;
            await LoadManyAsync(c, updates.Select(u => u.Id).Concat(updates.Where(u => u.ParentId is not null).Select(u => u.ParentId!)).ToList(),
                cancellationToken);
            foreach (var record in await Store.ListChangedOperationsAsync(arn, x.SeenSeq, cancellationToken))
            {
                c.Ops.TryAdd(record.Id, OperationState.Open(record, envelope, arn));
            }

            var startedInBatch = new HashSet<string>(StringComparer.Ordinal);
            var lastInBatch = new Dictionary<string, OperationUpdate>(StringComparer.Ordinal);
            foreach (var update in updates)
            {
                if (lastInBatch.TryGetValue(update.Id, out var previous) &&
                    !(previous.Action == "START" && previous.Type is Op.Step or Op.Context))
                {
                    c.Write = false;
                    return Invalid($"Operation {update.Id} is updated twice in one request; only a START of a STEP or CONTEXT may be followed by another update.");
                }

                lastInBatch[update.Id] = update;
                if (Apply(c, update, startedInBatch, now) is { } invalid)
                {
                    c.Write = false;
                    return invalid;
                }
            }

            var next = NewToken();
            var response = new JsonObject
            {
                ["CheckpointToken"] = next,
                ["NewExecutionState"] = new JsonObject
                {
                    ["Operations"] = new JsonArray(c.Ops.Values.Where(o => o.ChangeSeq > x.SeenSeq).OrderBy(o => o.Seq)
                        .Select(o => (JsonNode)o.Render(TimestampStyle.EpochSeconds)).ToArray()),
                },
            };
            c.Execution = c.Execution with { Token = next, SeenSeq = c.ChangeSeq };
            if (clientToken is not null)
            {
                c.Checkpoint = new CachedCheckpoint(clientToken, now,
                    envelope.Seal(JsonSerializer.SerializeToUtf8Bytes(response), x.PayloadContext("checkpoint:" + clientToken)));
            }

            return response;
        }, () => InvalidToken(), cancellationToken);
    }

    /// <summary>A whole number from the request, or null for anything else (which validation then refuses).</summary>
    private static long? Integer(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var l) ? l : null;

    private static bool FixedTimeEquals(string a, string b) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(a), System.Text.Encoding.ASCII.GetBytes(b));

    /// <summary>Applies one update to the change (reference section 6), or says why it is not allowed.</summary>
    private AwsError? Apply(Change c, OperationUpdate u, HashSet<string> startedInBatch, DateTimeOffset now)
    {
        var existing = c.Ops.GetValueOrDefault(u.Id);
        if (existing is not null && existing.Type != u.Type)
        {
            return Invalid($"Operation {u.Id} is a {existing.Type}; an update of type {u.Type} does not apply to it.");
        }

        if (u.ParentId is not null && u.Type != Op.Execution &&
            !(c.Ops.TryGetValue(u.ParentId, out var parent) && parent.Type == Op.Context) && !startedInBatch.Contains(u.ParentId))
        {
            return Invalid("Invalid parent operation id.");
        }

        var status = existing?.Status;
        AwsError NotAllowed() => Invalid(existing is null
            ? $"{u.Action} is not allowed for a new {u.Type} operation ({u.Id})."
            : $"{u.Action} is not allowed for {u.Type} operation {u.Id} in status {status}.");
        if (u.Action == "FAIL" && u.Payload is not null)
        {
            return Invalid($"A FAIL update carries an Error, not a Payload (operation {u.Id}).");
        }

        if (u.Action == "SUCCEED" && u.Error is not null)
        {
            return Invalid($"A SUCCEED update carries a Payload, not an Error (operation {u.Id}).");
        }

        OperationState Get(string initialStatus)
        {
            if (existing is not null)
            {
                if (u.Name is not null)
                {
                    existing.Name = u.Name;
                }

                if (u.SubType is not null)
                {
                    existing.SubType = u.SubType;
                }

                return existing;
            }

            return c.NewOperation(u.Id, u.Type, u.ParentId, u.SubType, u.Name, initialStatus, now);
        }

        switch (u.Type, u.Action)
        {
            case (Op.Execution, "SUCCEED" or "FAIL"):
            {
                // Applied when the invocation returns (its InvocationCompleted comes first in the history).
                var outcome = u.Action == "SUCCEED"
                    ? new JsonObject { ["Status"] = "SUCCEEDED", ["Result"] = u.Payload ?? "" }
                    : new JsonObject { ["Status"] = "FAILED", ["Error"] = u.Error?.DeepClone() ?? ErrorObject("Unknown", "") };
                c.Execution = c.Execution with { SealedPendingOutcome = SealText(c.Execution, "outcome", outcome.ToJsonString()) };
                return null;
            }

            case (Op.Step, "START"):
            {
                if (status is not (null or Op.Ready))
                {
                    return NotAllowed();
                }

                var op = Get(Op.Started);
                op.Status = Op.Started;
                op.Details["Attempt"] ??= 0L;
                op.Details.Remove("NextAttemptTimestamp");
                c.Touch(op);
                c.History("StepStarted", op, [], now);
                startedInBatch.Add(u.Id);
                return null;
            }

            case (Op.Step, "SUCCEED" or "FAIL" or "RETRY"):
            {
                if (status is not (null or Op.Started or Op.Ready))
                {
                    return NotAllowed();
                }

                var delay = Integer(u.Options?["NextAttemptDelaySeconds"]);
                if (u.Action == "RETRY")
                {
                    if (delay is not (>= 1 and <= 31_622_400))
                    {
                        return Invalid($"RETRY of step {u.Id} needs StepOptions.NextAttemptDelaySeconds between 1 and 31622400.");
                    }

                    if (u.Payload is not null && u.Error is not null)
                    {
                        return Invalid($"RETRY of step {u.Id} carries either an Error or a Payload, not both.");
                    }
                }

                var op = Get(Op.Started);
                var attempt = (op.Number("Attempt") ?? 0) + 1;
                op.Details["Attempt"] = attempt;
                var retryDetails = new JsonObject { ["CurrentAttempt"] = attempt };
                if (u.Action == "SUCCEED")
                {
                    op.Status = Op.Succeeded;
                    op.EndedAt = now;
                    op.Details["Result"] = u.Payload;
                    op.Details.Remove("Error");
                    op.Details.Remove("NextAttemptTimestamp");
                    c.Touch(op);
                    c.History("StepSucceeded", op, new JsonObject { ["Result"] = EventPayload(u.Payload), ["RetryDetails"] = retryDetails }, now);
                }
                else if (u.Action == "FAIL")
                {
                    op.Status = Op.Failed;
                    op.EndedAt = now;
                    op.Details["Error"] = u.Error?.DeepClone();
                    op.Details.Remove("NextAttemptTimestamp");
                    c.Touch(op);
                    c.History("StepFailed", op, new JsonObject { ["Error"] = EventPayload(u.Error), ["RetryDetails"] = retryDetails }, now);
                }
                else
                {
                    var due = now + TimeSpan.FromSeconds(delay!.Value);
                    op.Status = Op.Pending;
                    op.Details["NextAttemptTimestamp"] = due.ToUnixTimeMilliseconds();
                    if (u.Payload is not null)
                    {
                        // waitForCondition keeps its state in the step's result between polls.
                        op.Details["Result"] = u.Payload;
                    }

                    if (u.Error is not null)
                    {
                        op.Details["Error"] = u.Error.DeepClone();
                    }

                    c.Touch(op);
                    retryDetails["NextAttemptDelaySeconds"] = delay.Value;
                    c.History(u.Payload is not null ? "StepSucceeded" : "StepFailed", op, u.Payload is not null
                        ? new JsonObject { ["Result"] = EventPayload(u.Payload), ["RetryDetails"] = retryDetails }
                        : new JsonObject { ["Error"] = EventPayload(u.Error ?? []), ["RetryDetails"] = retryDetails }, now);
                    Timer(c, "retry", op.Id, due);
                }

                return null;
            }

            case (Op.Wait, "START"):
            {
                var seconds = Integer(u.Options?["WaitSeconds"]);
                if (status is not null)
                {
                    return NotAllowed();
                }

                if (seconds is not (>= 1 and <= 31_622_400))
                {
                    return Invalid($"WAIT {u.Id} needs WaitOptions.WaitSeconds between 1 and 31622400.");
                }

                var due = now + TimeSpan.FromSeconds(seconds.Value);
                var op = Get(Op.Started);
                op.Details["ScheduledEndTimestamp"] = due.ToUnixTimeMilliseconds();
                op.Details["_duration"] = seconds.Value;
                c.History("WaitStarted", op, new JsonObject
                {
                    ["Duration"] = seconds.Value,
                    ["ScheduledEndTimestamp"] = OperationState.Timestamp(due, TimestampStyle.EpochSeconds),
                }, now);
                Timer(c, "wait", op.Id, due);
                return null;
            }

            case (Op.Wait or Op.Callback or Op.ChainedInvoke, "CANCEL"):
            {
                if (status != Op.Started)
                {
                    return NotAllowed();
                }

                existing!.Status = Op.Cancelled;
                existing.EndedAt = now;
                c.Touch(existing);
                if (u.Type == Op.Wait)
                {
                    c.History("WaitCancelled", existing, u.Error is null ? [] : new JsonObject { ["Error"] = EventPayload(u.Error) }, now);
                }

                return null;
            }

            case (Op.Callback, "START"):
            {
                if (status is not null)
                {
                    return NotAllowed();
                }

                var timeout = Integer(u.Options?["TimeoutSeconds"]) ?? 0;
                var heartbeat = Integer(u.Options?["HeartbeatTimeoutSeconds"]) ?? 0;
                if (timeout < 0 || heartbeat < 0)
                {
                    return Invalid($"CALLBACK {u.Id}: TimeoutSeconds and HeartbeatTimeoutSeconds must not be negative.");
                }

                var op = Get(Op.Started);
                op.CallbackId = NewToken();
                op.Details["CallbackId"] = op.CallbackId;
                var details = new JsonObject { ["CallbackId"] = op.CallbackId };
                if (timeout > 0)
                {
                    details["Timeout"] = timeout;
                    Timer(c, "callback-timeout", op.Id, now + TimeSpan.FromSeconds(timeout));
                }

                if (heartbeat > 0)
                {
                    details["HeartbeatTimeout"] = heartbeat;
                    op.Details["_heartbeat"] = heartbeat;
                    op.Details["_heartbeatDue"] = (now + TimeSpan.FromSeconds(heartbeat)).ToUnixTimeMilliseconds();
                    Timer(c, "callback-heartbeat", op.Id, now + TimeSpan.FromSeconds(heartbeat));
                }

                c.History("CallbackStarted", op, details, now);
                return null;
            }

            case (Op.ChainedInvoke, "START"):
            {
                if (status is not null)
                {
                    return NotAllowed();
                }

                var function = u.Options?["FunctionName"]?.GetValue<string>();
                if (string.IsNullOrEmpty(function))
                {
                    return Invalid($"CHAINED_INVOKE {u.Id} needs ChainedInvokeOptions.FunctionName.");
                }

                var op = Get(Op.Started);
                op.Details["_function"] = function;
                op.Details["_input"] = u.Payload ?? "{}";
                var details = new JsonObject { ["FunctionName"] = function, ["Input"] = EventPayload(u.Payload ?? "{}") };
                if (u.Options?["TenantId"]?.GetValue<string>() is { } tenant)
                {
                    details["TenantId"] = tenant;
                }

                c.History("ChainedInvokeStarted", op, details, now);
                c.Enqueue.Add(QueueEvent(c.Execution, AsyncEventKind.DurableChainedInvoke, now, new JsonObject { ["op"] = op.Id }));
                return null;
            }

            case (Op.Context, "START"):
            {
                if (status is not null)
                {
                    return NotAllowed();
                }

                var op = Get(Op.Started);
                c.History("ContextStarted", op, [], now);
                startedInBatch.Add(u.Id);
                return null;
            }

            case (Op.Context, "SUCCEED" or "FAIL"):
            {
                if (status is not (null or Op.Started))
                {
                    return NotAllowed();
                }

                var op = Get(Op.Started);
                op.EndedAt = now;
                if (u.Options?["ReplayChildren"]?.GetValue<bool>() == true)
                {
                    op.Details["ReplayChildren"] = true;
                }

                if (u.Action == "SUCCEED")
                {
                    op.Status = Op.Succeeded;
                    op.Details["Result"] = u.Payload;
                    c.Touch(op);
                    c.History("ContextSucceeded", op, new JsonObject { ["Result"] = EventPayload(u.Payload) }, now);
                }
                else
                {
                    op.Status = Op.Failed;
                    op.Details["Error"] = u.Error?.DeepClone();
                    c.Touch(op);
                    c.History("ContextFailed", op, new JsonObject { ["Error"] = EventPayload(u.Error) }, now);
                }

                return null;
            }

            default:
                return Invalid($"Action {u.Action} does not apply to operation type {u.Type}.");
        }
    }

    /// <summary>GetDurableExecutionState: the current invocation's view of the operations, paged in start order.</summary>
    public async Task<Outcome<JsonObject>> GetStateAsync(string arn, string token, string? marker, int? maxItems, CancellationToken cancellationToken)
    {
        var x = await Store.GetExecutionAsync(arn, cancellationToken);
        if (x is null || x.IsClosed || x.Token is null || !FixedTimeEquals(x.Token, token))
        {
            return InvalidToken();
        }

        var offset = 0;
        if (!string.IsNullOrEmpty(marker) && (!int.TryParse(marker, NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset < 0))
        {
            return Invalid("Marker is not one this API returned.");
        }

        var limit = maxItems is null or 0 ? 100 : Math.Clamp(maxItems.Value, 1, 1000);
        var visible = Prune(await AllOperationsAsync(x, cancellationToken));
        var page = visible.Skip(offset).Take(limit).Select(o => (JsonNode)o.Render(TimestampStyle.EpochSeconds)).ToArray();
        var result = new JsonObject { ["Operations"] = new JsonArray(page) };
        if (offset + page.Length < visible.Count)
        {
            result["NextMarker"] = (offset + page.Length).ToString(CultureInfo.InvariantCulture);
        }

        return result;
    }
}
