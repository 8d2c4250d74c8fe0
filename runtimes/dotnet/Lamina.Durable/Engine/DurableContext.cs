using Amazon.Lambda.Core;

namespace Lamina.Durable;

/// <summary>
/// One durable context: the root handler's or a child's. It numbers its operations (<c>"1"</c>, <c>"2"</c>, … in the
/// root, <c>"5-1"</c>, <c>"5-2"</c>, … inside operation 5), checks each against history, and tracks whether it is
/// still replaying.
/// </summary>
internal sealed partial class DurableContext : IDurableContext
{
    private readonly ExecutionState _state;
    private readonly string? _prefix;
    private int _counter;
    private volatile ReplayMode _mode;

    public DurableContext(ExecutionState state, string? prefix, ReplayMode mode, IDurableSerializer serializer)
    {
        _state = state;
        _prefix = prefix;
        _mode = mode;
        Serializer = serializer;
        Logger = new ReplayAwareLogger(state.LambdaLogger ?? ConsoleLambdaLogger.Instance, this);
    }

    /// <summary>The unhashed step id of this context's own operation; "root" for the handler's.</summary>
    public string ContextId => _prefix ?? "root";

    /// <summary>The wire ParentId of this context's operations.</summary>
    private string? ParentWireId => _prefix is null ? null : OperationIds.Hash(_prefix);

    public IDurableSerializer Serializer { get; }

    public string DurableExecutionArn => _state.DurableExecutionArn;

    public ILambdaLogger Logger { get; }

    public ILambdaContext? LambdaContext => _state.LambdaContext;

    public bool IsReplaying => _mode != ReplayMode.Execution;

    private string StepIdFor(int counter) => _prefix is null ? counter.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{_prefix}-{counter}";

    private string PeekStepId() => StepIdFor(Volatile.Read(ref _counter) + 1);

    /// <summary>Takes the next step id without starting an operation (batch items skipped on replay).</summary>
    internal string NextStepId() => StepIdFor(Interlocked.Increment(ref _counter));

    /// <summary>
    /// Bookkeeping before an operation: context usage, replay-mode switches (as the official SDK's
    /// checkAndUpdateReplayMode / captureExecutionState), then the next step id. Null means the invocation is
    /// ending and the operation must never complete.
    /// </summary>
    private string? BeginOperation(string operationName)
    {
        _state.Release(ActiveScope.Current);
        if (!ValidateContextUsage(operationName))
        {
            return null;
        }

        if (_mode == ReplayMode.Replay)
        {
            var next = PeekStepId();
            if (_state.Get(next) is null && _state.Get(next + "-1") is null)
            {
                _mode = ReplayMode.Execution;
            }
        }

        if (_mode == ReplayMode.ReplaySucceededContext && _state.Get(PeekStepId()) is { } pending && !OperationStatus.IsTerminal(pending.Status))
        {
            // A succeeded context cannot hold an unfinished child; waiting forever is what the official SDK does.
            return null;
        }

        var stepId = NextStepId();
        if (_mode == ReplayMode.Replay && _state.Get(stepId) is { } op && !OperationStatus.IsTerminal(op.Status))
        {
            _mode = ReplayMode.Execution;
        }

        return stepId;
    }

    /// <summary>Hands an operation's outcome back to the calling code under a resume lease (see <see cref="ExecutionState.Lease"/>).</summary>
    private async Task<T> Resume<T>(Task<T> operation)
    {
        var scope = ActiveScope.Current;
        try
        {
            return await operation;
        }
        finally
        {
            _state.Lease(scope);
        }
    }

    private async Task Resume(Task operation)
    {
        var scope = ActiveScope.Current;
        try
        {
            await operation;
        }
        finally
        {
            _state.Lease(scope);
        }
    }

    /// <summary>After an operation returned its recorded result: stop replaying when history has nothing further.</summary>
    private void AfterReplayed()
    {
        if (_mode == ReplayMode.Replay)
        {
            var next = PeekStepId();
            if (_state.Get(next) is null && _state.Get(next + "-1") is null)
            {
                _mode = ReplayMode.Execution;
            }
        }
    }

    private bool ValidateContextUsage(string operationName)
    {
        var active = ActiveScope.Current;
        if (active is null || active.ContextId == ContextId)
        {
            return true;
        }

        var message = active.IsStep
            ? $"Context usage error in \"{operationName}\": durable operations cannot run inside a step (step id \"{active.ContextId}\")."
            : $"Context usage error in \"{operationName}\": You are using a parent or sibling context instead of the current child context. " +
              $"Expected context ID: \"{active.ContextId}\", but got: \"{ContextId}\". When inside RunInChildContextAsync(), you must use the child context parameter, not the parent context.";
        _state.Termination.Terminate(TerminationReason.ContextValidationError, message, new InvalidOperationException(message));
        return false;
    }

    /// <summary>
    /// Non-determinism check: the operation in history at this position must have the same type, name and subtype
    /// (the official SDK's validateReplayConsistency).
    /// </summary>
    private bool ValidateReplay(string stepId, Operation? recorded, string type, string? name, string subType)
    {
        if (recorded is null)
        {
            return true;
        }

        string? problem = null;
        if (recorded.Type != type)
        {
            problem = $"Operation type mismatch for step \"{stepId}\". Expected type \"{recorded.Type}\", but got \"{type}\".";
        }
        else if (!string.Equals(recorded.Name, name, StringComparison.Ordinal) && !(string.IsNullOrEmpty(recorded.Name) && string.IsNullOrEmpty(name)))
        {
            problem = $"Operation name mismatch for step \"{stepId}\". Expected name \"{recorded.Name ?? "undefined"}\", but got \"{name ?? "undefined"}\".";
        }
        else if (recorded.SubType is not null && recorded.SubType != subType)
        {
            problem = $"Operation subtype mismatch for step \"{stepId}\". Expected subtype \"{recorded.SubType}\", but got \"{subType}\".";
        }

        if (problem is null)
        {
            return true;
        }

        var error = new NonDeterministicExecutionException(
            $"Non-deterministic execution detected: {problem} This indicates non-deterministic control flow in your workflow code.");
        _state.Termination.Terminate(TerminationReason.NonDeterminism, error.Message, error);
        return false;
    }

    private static void ValidateName(string? name)
    {
        if (name is null)
        {
            return;
        }

        if (name.Length is 0 or > 256)
        {
            throw new ArgumentException("Operation names must be 1 to 256 characters.", nameof(name));
        }

        foreach (var c in name)
        {
            if (c is < '\x20' or > '\x7E')
            {
                throw new ArgumentException("Operation names must be printable ASCII.", nameof(name));
            }
        }
    }

    internal static int WholeSeconds(TimeSpan duration, string parameter)
    {
        var seconds = Math.Ceiling(duration.TotalSeconds);
        if (seconds < 1 || seconds > 31_622_400)
        {
            throw new ArgumentOutOfRangeException(parameter, duration, "Durations must be between 1 second and 366 days.");
        }

        return (int)seconds;
    }

    private OperationUpdate Update(string stepId, string type, string subType, string action, string? name) => new()
    {
        Id = OperationIds.Hash(stepId),
        ParentId = ParentWireId,
        Name = name,
        Type = type,
        SubType = subType,
        Action = action,
    };
}
