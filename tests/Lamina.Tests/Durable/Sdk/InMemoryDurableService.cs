using System.Text.RegularExpressions;
using Lamina.Durable;

namespace Lamina.Tests.Durable.Sdk;

/// <summary>
/// A scripted checkpoint service for driving Lamina.Durable without a server. It does what the protocol says the
/// service does (shared/reference/durable-protocol.md): token chaining (only the current token is accepted), ClientToken
/// replay, validation of every update (section 5), the per-operation state machine (section 6), NewExecutionState with
/// touched and service-side changes, pruned invocation events with pagination, and timers, callbacks and chained
/// invokes completed on the test's command.
/// </summary>
public sealed partial class InMemoryDurableService : IDurableExecutionClient
{
    public const string Arn = "arn:aws:lambda:us-east-1:123456789012:function:orders:1/durable-execution/run-1/0a1b2c3d";

    private readonly object _gate = new();
    private readonly Dictionary<string, Operation> _ops = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly HashSet<string> _changed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CheckpointDurableExecutionResponse> _byClientToken = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _timers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string FunctionName, string? Payload)> _invokes = new(StringComparer.Ordinal);
    private string _token = "";
    private int _tokenSeq;
    private int _callbackSeq;

    public InMemoryDurableService(string inputJson = "{}", TimeProvider? clock = null)
    {
        Clock = clock ?? TimeProvider.System;
        Put(new Operation
        {
            Id = "exec0000",
            Type = OperationType.Execution,
            Status = OperationStatus.Started,
            StartTimestamp = Clock.GetUtcNow(),
            ExecutionDetails = new ExecutionDetails { InputPayload = inputJson },
        });
    }

    public TimeProvider Clock { get; }

    /// <summary>Fire timers that are due (by <see cref="Clock"/>) at the start of every call, as a real service's timer pump.</summary>
    public bool AutoFireDueTimers { get; set; } = true;

    /// <summary>Operations per page: the event carries the first page, GetDurableExecutionState the rest.</summary>
    public int PageSize { get; set; } = 1000;

    /// <summary>Every checkpoint request received, in order (including replays and refused ones).</summary>
    public List<CheckpointDurableExecutionRequest> Checkpoints { get; } = [];

    /// <summary>Every update applied, in order.</summary>
    public List<OperationUpdate> Updates { get; } = [];

    public List<GetDurableExecutionStateRequest> StateRequests { get; } = [];

    /// <summary>Validation failures the service answered with 400; a correct SDK leaves this empty.</summary>
    public List<string> ValidationErrors { get; } = [];

    /// <summary>Failures to throw from the next calls (checkpoint or get-state), one per call.</summary>
    public Queue<Exception> Faults { get; } = new();

    public string? ExecutionStatus { get; private set; }

    public string? ExecutionResult { get; private set; }

    public string CurrentToken
    {
        get
        {
            lock (_gate)
            {
                return _token;
            }
        }
    }

    public Operation? Find(Func<Operation, bool> predicate)
    {
        lock (_gate)
        {
            return _order.Select(id => _ops[id]).FirstOrDefault(predicate);
        }
    }

    public IReadOnlyList<Operation> Operations
    {
        get
        {
            lock (_gate)
            {
                return [.. _order.Select(id => _ops[id])];
            }
        }
    }

    /// <summary>
    /// The next invocation's event: a fresh token (the previous one stops working) and every operation in start
    /// order, minus descendants of completed contexts without ReplayChildren, the first page inline.
    /// </summary>
    public DurableExecutionInvocationInput NextInvocation()
    {
        lock (_gate)
        {
            _token = $"tok{++_tokenSeq}";
            _changed.Clear();
            var visible = VisibleOperations();
            return new DurableExecutionInvocationInput
            {
                DurableExecutionArn = Arn,
                CheckpointToken = _token,
                InitialExecutionState = new InitialExecutionState
                {
                    Operations = [.. visible.Take(PageSize)],
                    NextMarker = visible.Count > PageSize ? PageSize.ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
                },
            };
        }
    }

    /// <summary>Makes the current token stale, as a concurrent invocation or a Stop would.</summary>
    public void InvalidateToken()
    {
        lock (_gate)
        {
            _token = $"tok{++_tokenSeq}";
        }
    }

    public Task<CheckpointDurableExecutionResponse> CheckpointAsync(CheckpointDurableExecutionRequest request, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Checkpoints.Add(request);
            if (Faults.TryDequeue(out var fault))
            {
                throw fault;
            }

            if (request.ClientToken is { } clientToken && _byClientToken.TryGetValue(clientToken, out var replayed))
            {
                return Task.FromResult(replayed);
            }

            if (request.DurableExecutionArn != Arn || request.CheckpointToken != _token || ExecutionStatus is not null)
            {
                throw new DurableExecutionClientException(400, "InvalidParameterValueException", "Invalid Checkpoint Token: the token is not current");
            }

            if (AutoFireDueTimers)
            {
                FireTimers(Clock.GetUtcNow());
            }

            if (Validate(request.Updates) is { } problem)
            {
                ValidationErrors.Add(problem);
                throw new DurableExecutionClientException(400, "InvalidParameterValueException", problem);
            }

            foreach (var update in request.Updates)
            {
                Apply(update);
                Updates.Add(update);
            }

            _token = $"tok{++_tokenSeq}";
            var response = new CheckpointDurableExecutionResponse
            {
                CheckpointToken = _token,
                NewExecutionState = new CheckpointUpdatedExecutionState { Operations = [.. _changed.Select(id => _ops[id])] },
            };
            _changed.Clear();
            if (request.ClientToken is { } token)
            {
                _byClientToken[token] = response;
            }

            return Task.FromResult(response);
        }
    }

    public Task<GetDurableExecutionStateResponse> GetExecutionStateAsync(GetDurableExecutionStateRequest request, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            StateRequests.Add(request);
            if (Faults.TryDequeue(out var fault))
            {
                throw fault;
            }

            if (request.CheckpointToken != _token)
            {
                throw new DurableExecutionClientException(400, "InvalidParameterValueException", "Invalid Checkpoint Token: the token is not current");
            }

            var visible = VisibleOperations();
            var start = int.Parse(request.Marker ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            var size = Math.Min(request.MaxItems ?? 100, 1000);
            var page = visible.Skip(start).Take(size).ToList();
            return Task.FromResult(new GetDurableExecutionStateResponse
            {
                Operations = page,
                NextMarker = start + size < visible.Count ? (start + size).ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
            });
        }
    }

    private List<Operation> VisibleOperations()
    {
        var hidden = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in _order)
        {
            var op = _ops[id];
            if ((op.ParentId is { } parent && hidden.Contains(parent)) ||
                (op.ParentId is { } p && _ops.TryGetValue(p, out var context) && context.Status is OperationStatus.Succeeded or OperationStatus.Failed &&
                 context.ContextDetails?.ReplayChildren != true))
            {
                hidden.Add(id);
            }
        }

        return [.. _order.Where(id => !hidden.Contains(id)).Select(id => _ops[id])];
    }

    private void Put(Operation op)
    {
        if (!_ops.ContainsKey(op.Id))
        {
            _order.Add(op.Id);
        }

        _ops[op.Id] = op;
        _changed.Add(op.Id);
    }

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[\\x20-\\x7E]{1,256}$")]
    private static partial Regex NamePattern();
}
