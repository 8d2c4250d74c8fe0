using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lamina.Core.Async;
using Lamina.Core.Auth;
using Lamina.Core.Crypto;
using Lamina.Core.Errors;
using Lamina.Core.Functions;
using Lamina.Core.Invoke;
using Lamina.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Lamina.Core.Durable;

/// <summary>
/// The durable execution service: starts executions, invokes the function with its replay envelope,
/// accepts checkpoints, fires timers and callbacks, runs chained invokes, and re-invokes until the
/// execution closes (reference/durable-protocol.md).
/// </summary>
/// <remarks>
/// Every state change is one store transaction, conditional on the execution's row version, that also
/// writes the history events and the queue events (timers, wake-ups) it causes; a conflicting change
/// re-reads and decides again. Wake-ups go through the async event queue, so a crash loses none, and
/// an execution has at most one invocation running: a trigger while one runs only marks a change the
/// invocation has not seen, and its end re-invokes.
/// </remarks>
internal sealed partial class DurableEngine(
    IStore store,
    Envelope envelope,
    Invoker invoker,
    FunctionService functions,
    AsyncInvokeService queue,
    AsyncOptions asyncOptions,
    ControlPlaneOptions options,
    IAuthorizer authorizer,
    TimeProvider time,
    ILogger<DurableEngine> logger)
{
    /// <summary>Sync Invoke waits at most this long for the execution to close (Lambda's 15-minute limit).</summary>
    public static readonly TimeSpan SyncWaitLimit = TimeSpan.FromMinutes(15);

    /// <summary>Failed invocations back off 1 s doubling to this, until the execution times out.</summary>
    private static readonly TimeSpan MaxInvocationBackoff = TimeSpan.FromMinutes(5);

    /// <summary>The SDK's ClientToken dedup window (model: 15 minutes).</summary>
    private static readonly TimeSpan ClientTokenWindow = TimeSpan.FromMinutes(15);

    private readonly ConcurrentDictionary<string, TaskCompletionSource> _closeWaiters = new(StringComparer.Ordinal);

    private IDurableStore Store => store.Durable;

    private Envelope Envelope => envelope;

    private DateTimeOffset Now => time.GetUtcNow();

    /// <summary>A change to one execution, decided from what was read and committed as a whole.</summary>
    private sealed class Change(DurableEngine engine, DurableExecutionRecord execution)
    {
        private long _changeSeq = execution.ChangeSeq;
        private long _nextEventId = execution.NextEventId;
        private long _nextOpSeq = execution.NextOpSeq;

        public DurableExecutionRecord Execution { get; set; } = execution;

        public long ReadRowVersion { get; } = execution.RowVersion;

        public Dictionary<string, OperationState> Ops { get; } = new(StringComparer.Ordinal);

        public List<OperationState> Dirty { get; } = [];

        public List<DurableHistoryRecord> Events { get; } = [];

        public List<AsyncEvent> Enqueue { get; } = [];

        public CachedCheckpoint? Checkpoint { get; set; }

        public (string Id, string Node)? CompleteEvent { get; set; }

        /// <summary>False when the decision needs no write.</summary>
        public bool Write { get; set; } = true;

        public bool Closed { get; set; }

        public long ChangeSeq => _changeSeq;

        public void Touch(OperationState op)
        {
            op.ChangeSeq = ++_changeSeq;
            if (!Dirty.Contains(op))
            {
                Dirty.Add(op);
            }
        }

        public OperationState NewOperation(string id, string type, string? parentId, string? subType, string? name, string status, DateTimeOffset now)
        {
            var op = new OperationState
            {
                Id = id,
                ParentId = parentId,
                Type = type,
                SubType = subType,
                Name = name,
                Status = status,
                StartedAt = now,
                Seq = _nextOpSeq++,
            };
            Ops[id] = op;
            Touch(op);
            return op;
        }

        /// <summary>Appends a history event about <paramref name="op"/> (or the execution) with its details.</summary>
        public void History(string eventType, OperationState? op, JsonObject? details, DateTimeOffset now)
        {
            var e = new JsonObject { ["EventType"] = eventType };
            if (op?.SubType is { } subType)
            {
                e["SubType"] = subType;
            }

            var id = _nextEventId++;
            e["EventId"] = id;
            e["Id"] = op?.Id ?? ExecutionOperationId(Execution);
            if (op?.Name is { } name)
            {
                e["Name"] = name;
            }
            else if (op is null || op.Type == Op.Execution)
            {
                e["Name"] = Execution.Name;
            }

            e["EventTimestamp"] = OperationState.Timestamp(now, TimestampStyle.EpochSeconds);
            if (op?.ParentId is { } parent)
            {
                e["ParentId"] = parent;
            }

            e[eventType + "Details"] = details ?? [];
            Events.Add(new DurableHistoryRecord(id, now,
                engine.Envelope.Seal(JsonSerializer.SerializeToUtf8Bytes(e), HistoryContext(Execution.Arn, id))));
        }

        public DurableCommit ToCommit(bool insert) => new()
        {
            Execution = Execution with
            {
                RowVersion = ReadRowVersion + 1,
                ChangeSeq = _changeSeq,
                NextEventId = _nextEventId,
                NextOpSeq = _nextOpSeq,
            },
            ExpectedRowVersion = insert ? null : ReadRowVersion,
            Operations = Dirty.Select(o => o.Seal(engine.Envelope, Execution.Arn)).ToList(),
            Events = Events,
            Enqueue = Enqueue,
            Checkpoint = Checkpoint,
            CompleteEventId = CompleteEvent?.Id,
            CompleteNode = CompleteEvent?.Node,
        };
    }

    public static string HistoryContext(string arn, long eventId) => $"durable:event:{arn}:{eventId}";

    /// <summary>The EXECUTION operation's id: the execution id, the last segment of its ARN.</summary>
    private static string ExecutionOperationId(DurableExecutionRecord x) => x.Arn[(x.Arn.LastIndexOf('/') + 1)..];

    /// <summary>
    /// Reads the execution, lets <paramref name="decide"/> build a change, and commits it; a concurrent change
    /// to the same execution makes it read and decide again.
    /// </summary>
    private async Task<Outcome<T>> MutateAsync<T>(string arn, Func<Change, Task<Outcome<T>>> decide, Func<Outcome<T>> notFound,
        CancellationToken cancellationToken)
    {
        // Contention is one invocation's checkpoints against timers and callbacks: a handful of retries at most.
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var execution = await Store.GetExecutionAsync(arn, cancellationToken);
            if (execution is null)
            {
                return notFound();
            }

            var change = new Change(this, execution);
            var outcome = await decide(change);
            if (!change.Write)
            {
                return outcome;
            }

            var status = await Store.CommitAsync(change.ToCommit(insert: false), cancellationToken);
            if (status == WriteStatus.Ok)
            {
                AfterCommit(change);
                return outcome;
            }
        }

        throw new InvalidOperationException($"Durable execution {arn} kept changing under 50 attempts to update it.");
    }

    private void AfterCommit(Change change)
    {
        if (change.Enqueue.Count > 0)
        {
            queue.NotifyEnqueued();
        }

        if (change.Closed && _closeWaiters.TryRemove(change.Execution.Arn, out var waiter))
        {
            waiter.TrySetResult();
        }
    }

    private Task<OperationState?> LoadAsync(Change change, string id, CancellationToken cancellationToken) =>
        LoadManyAsync(change, [id], cancellationToken).ContinueWith(_ => change.Ops.GetValueOrDefault(id), cancellationToken,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>Loads the named operations (those not loaded yet) into the change.</summary>
    private async Task LoadManyAsync(Change change, IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        var missing = ids.Where(id => !change.Ops.ContainsKey(id)).Distinct(StringComparer.Ordinal).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        foreach (var record in await Store.GetOperationsAsync(change.Execution.Arn, missing, cancellationToken))
        {
            change.Ops[record.Id] = OperationState.Open(record, envelope, change.Execution.Arn);
        }
    }

    private async Task<List<OperationState>> AllOperationsAsync(DurableExecutionRecord x, CancellationToken cancellationToken) =>
        (await Store.ListOperationsAsync(x.Arn, cancellationToken)).Select(r => OperationState.Open(r, envelope, x.Arn)).ToList();

    /// <summary>Queues the execution's next invocation unless one runs or is queued already.</summary>
    private void Wake(Change change, TimeSpan delay = default)
    {
        var x = change.Execution;
        if (x.IsClosed || x.InvocationEventId is not null || x.ResumeQueued)
        {
            return;
        }

        change.Enqueue.Add(QueueEvent(x, AsyncEventKind.DurableResume, Now + delay, []));
        change.Execution = x with { ResumeQueued = true };
    }

    private AsyncEvent QueueEvent(DurableExecutionRecord x, AsyncEventKind kind, DateTimeOffset visibleAt, JsonObject payload) =>
        QueueEvent(x.AccountId, x.FunctionName, x.Version, x.Arn, kind, visibleAt, payload);

    private AsyncEvent QueueEvent(string accountId, string functionName, string? qualifier, string arn, AsyncEventKind kind, DateTimeOffset visibleAt,
        JsonObject payload)
    {
        var id = Guid.NewGuid().ToString();
        return new AsyncEvent
        {
            Id = id,
            Kind = kind,
            AccountId = accountId,
            FunctionName = functionName,
            Qualifier = qualifier,
            SealedPayload = envelope.Seal(JsonSerializer.SerializeToUtf8Bytes(payload), AsyncEvent.PayloadContext(accountId, id)),
            EnqueuedAt = Now,
            VisibleAt = visibleAt,
            ExecutionArn = arn,
        };
    }

    private JsonObject OpenPayload(AsyncEvent e) =>
        JsonNode.Parse(envelope.Open(e.SealedPayload, AsyncEvent.PayloadContext(e.AccountId, e.Id)))!.AsObject();

    /// <summary>A timer as a queue event: when it comes due the queue hands it to <see cref="ProcessAsync"/>.</summary>
    private void Timer(Change change, string kind, string? operationId, DateTimeOffset due)
    {
        var payload = new JsonObject { ["timer"] = kind, ["due"] = due.ToUnixTimeMilliseconds() };
        if (operationId is not null)
        {
            payload["op"] = operationId;
        }

        change.Enqueue.Add(QueueEvent(change.Execution, AsyncEventKind.DurableTimer, due, payload));
    }

    /// <summary>Checkpoint tokens and callback ids: 256 random bits in [A-Za-z0-9], valid for the model's pattern and needing no escaping.</summary>
    private static string NewToken()
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        return RandomNumberGenerator.GetString(Alphabet, 43);
    }

    private static string Sha256(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private byte[] SealText(DurableExecutionRecord x, string purpose, string text) => envelope.Seal(Encoding.UTF8.GetBytes(text), x.PayloadContext(purpose));

    private string? OpenText(DurableExecutionRecord x, string purpose, byte[]? sealedData) =>
        sealedData is null ? null : envelope.OpenString(sealedData, x.PayloadContext(purpose));

    /// <summary>An ErrorObject with what the API allows in it.</summary>
    private static JsonObject ErrorObject(string type, string message, JsonNode? data = null)
    {
        var o = new JsonObject { ["ErrorType"] = type, ["ErrorMessage"] = message };
        if (data is not null)
        {
            o["ErrorData"] = data.ToJsonString();
        }

        return o;
    }

    /// <summary>The history form of a payload: <c>{Payload, Truncated}</c>, leaving out payloads over 256 KB.</summary>
    private static JsonObject EventPayload(JsonNode? payload)
    {
        const int Limit = 262_144;
        if (payload is null)
        {
            return new JsonObject { ["Truncated"] = false };
        }

        var size = payload is JsonValue v && v.TryGetValue<string>(out var s) ? Encoding.UTF8.GetByteCount(s) : payload.ToJsonString().Length;
        return size > Limit
            ? new JsonObject { ["Truncated"] = true }
            : new JsonObject { ["Payload"] = payload.DeepClone(), ["Truncated"] = false };
    }

    private static partial class Log
    {
        // 1800-1899: durable executions.
        [LoggerMessage(1800, LogLevel.Information, "Durable execution {Arn} started")]
        public static partial void Started(ILogger logger, string arn);

        [LoggerMessage(1801, LogLevel.Information, "Durable execution {Arn} closed {Status}")]
        public static partial void Closed(ILogger logger, string arn, string status);

        [LoggerMessage(1802, LogLevel.Warning, "Durable execution {Arn}: invocation failed ({Reason}); retrying in {Delay}")]
        public static partial void InvocationFailed(ILogger logger, string arn, string reason, TimeSpan delay);

        [LoggerMessage(1803, LogLevel.Warning, "Durable queue event {Id} ({Kind}) failed")]
        public static partial void EventFailed(ILogger logger, string id, AsyncEventKind kind, Exception exception);
    }
}
