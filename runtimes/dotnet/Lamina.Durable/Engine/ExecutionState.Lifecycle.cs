namespace Lamina.Durable;

/// <summary>Where an operation of this invocation stands, for deciding when the invocation can suspend.</summary>
internal enum LifecycleState
{
    /// <summary>User code of a step or condition check is running.</summary>
    Executing,

    /// <summary>A step waits for its retry timer (status PENDING until READY).</summary>
    RetryWaiting,

    /// <summary>A wait, callback or chained invoke is started; nobody has asked for its result yet.</summary>
    IdleNotAwaited,

    /// <summary>As above, and user code waits for the result.</summary>
    IdleAwaited,

    Completed,
}

internal sealed partial class ExecutionState
{
    // The official SDK's polling constants (protocol section 5).
    private static readonly TimeSpan TerminationCooldown = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan MinRemainingToPoll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan InitialPollDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PollCeiling = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ExtendedPollCeiling = TimeSpan.FromSeconds(60);
    private const int PollsBeforeExtendedCeiling = 95;

    /// <summary>How long user code handed a result may run before its next durable call and still hold off suspension.</summary>
    private static readonly TimeSpan MaxResumeLease = TimeSpan.FromSeconds(1);

    /// <summary>How long suspension waits for a busy thread pool (code that may be about to call the SDK) to go quiet.</summary>
    private static readonly TimeSpan MaxQuiescenceWait = TimeSpan.FromSeconds(1);

    private long _terminationScheduledAt;

    private readonly Dictionary<string, Tracked> _tracked = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _stepIdByHash = new(StringComparer.Ordinal);
    private readonly HashSet<string> _finishedAncestors = new(StringComparer.Ordinal);
    private readonly Dictionary<ActiveScope, long> _leases = new(ReferenceEqualityComparer.Instance);
    private ITimer? _terminationTimer;
    private TerminationReason? _terminationReason;
    private bool _disposed;

    private sealed class Tracked(string stepId, string subType)
    {
        public string StepId { get; } = stepId;
        public string SubType { get; } = subType;
        public LifecycleState State { get; set; }
        public DateTimeOffset? EndTimestamp { get; set; }

        /// <summary>The status when the state was last set: a change since then means "wake up now".</summary>
        public string? ObservedStatus { get; set; }

        public TaskCompletionSource? Resolver { get; set; }
        public ITimer? Timer { get; set; }
        public int PollCount { get; set; }
    }

    /// <summary>Records an operation's lifecycle state and re-checks whether the invocation can suspend.</summary>
    public void MarkState(string stepId, string subType, LifecycleState state, DateTimeOffset? endTimestamp = null)
    {
        lock (_gate)
        {
            var hash = OperationIds.Hash(stepId);
            if (!_tracked.TryGetValue(stepId, out var op))
            {
                op = new Tracked(stepId, subType);
                _tracked[stepId] = op;
                _stepIdByHash[hash] = stepId;
            }

            op.State = state;
            op.ObservedStatus = _operations.GetValueOrDefault(hash)?.Status;
            if (endTimestamp is not null)
            {
                op.EndTimestamp = endTimestamp;
            }

            if (state == LifecycleState.Completed)
            {
                Cleanup(op);
            }

            // As the official SDK: starting an idle operation does not by itself end the invocation; asking for its result does.
            if (state != LifecycleState.IdleNotAwaited)
            {
                CheckAndTerminate();
            }
        }
    }

    /// <summary>User code now waits for an idle operation's result.</summary>
    public void MarkAwaited(string stepId)
    {
        lock (_gate)
        {
            if (_tracked.TryGetValue(stepId, out var op) && op.State == LifecycleState.IdleNotAwaited)
            {
                op.State = LifecycleState.IdleAwaited;
                CheckAndTerminate();
            }
        }
    }

    /// <summary>Completes when the operation's status changes (or is already final), polling while other work runs.</summary>
    public Task WaitForStatusChangeAsync(string stepId)
    {
        lock (_gate)
        {
            var op = _tracked[stepId];
            var status = _operations.GetValueOrDefault(OperationIds.Hash(stepId))?.Status;
            if (OperationStatus.IsTerminal(status) || status != op.ObservedStatus)
            {
                return Task.CompletedTask;
            }

            op.Resolver = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            StartPollTimer(op, op.EndTimestamp);
            return op.Resolver.Task;
        }
    }

    /// <summary>
    /// An operation is handing its outcome back to the code of <paramref name="scope"/>. Until that code makes its
    /// next durable call (or its function ends), at most <see cref="MaxResumeLease"/>, the invocation does not
    /// suspend. JavaScript gets this for free (timers cannot fire while resumed code runs); here the continuation
    /// runs on the thread pool, concurrently with the suspension timer.
    /// </summary>
    public void Lease(ActiveScope? scope)
    {
        if (scope is null || scope.IsStep)
        {
            return;
        }

        lock (_gate)
        {
            _leases[scope] = Time.GetTimestamp();
        }
    }

    /// <summary>The scope's code reached the SDK again, or finished.</summary>
    public void Release(ActiveScope? scope)
    {
        if (scope is null)
        {
            return;
        }

        lock (_gate)
        {
            if (_leases.Remove(scope))
            {
                CheckAndTerminate();
            }
        }
    }

    private bool HasLiveLease()
    {
        List<ActiveScope>? expired = null;
        var live = false;
        foreach (var (scope, since) in _leases)
        {
            if (Time.GetElapsedTime(since) < MaxResumeLease)
            {
                live = true;
            }
            else
            {
                (expired ??= []).Add(scope);
            }
        }

        foreach (var scope in expired ?? [])
        {
            _leases.Remove(scope);
        }

        return live;
    }

    public void MarkAncestorFinished(string stepId)
    {
        lock (_gate)
        {
            _finishedAncestors.Add(stepId);
        }
    }

    /// <summary>Stops timers and makes every later checkpoint a no-op: stray tasks of this invocation change nothing.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _terminating = true;
            AbortTermination();
            foreach (var op in _tracked.Values)
            {
                Cleanup(op);
            }
        }

        Termination.Dispose();
    }

    private bool HasFinishedAncestor(string stepId)
    {
        var dash = stepId.LastIndexOf('-');
        while (dash > 0)
        {
            stepId = stepId[..dash];
            if (_finishedAncestors.Contains(stepId))
            {
                return true;
            }

            dash = stepId.LastIndexOf('-');
        }

        return false;
    }

    private void ResolveWaiting(string hash)
    {
        if (_stepIdByHash.TryGetValue(hash, out var stepId) && _tracked.TryGetValue(stepId, out var op) && op.Resolver is { } resolver)
        {
            op.Resolver = null;
            op.Timer?.Dispose();
            op.Timer = null;
            resolver.TrySetResult();
        }
    }

    private static void Cleanup(Tracked op)
    {
        op.Timer?.Dispose();
        op.Timer = null;
        op.Resolver = null;
    }

    /// <summary>
    /// The invocation can suspend when nothing is queued or in flight, no step is executing, and some operation is
    /// waiting (operations under a finished context no longer count). Caller holds the lock.
    /// </summary>
    private TerminationReason? ShouldTerminate()
    {
        if (_queue.Count > 0 || _processing || _forceWaiters.Count > 0)
        {
            return null;
        }

        foreach (var op in _tracked.Values)
        {
            if (op.State == LifecycleState.Executing)
            {
                return null;
            }
        }

        List<string>? abandoned = null;
        foreach (var op in _tracked.Values)
        {
            if (op.State != LifecycleState.Completed && HasFinishedAncestor(op.StepId))
            {
                (abandoned ??= []).Add(op.StepId);
            }
        }

        if (abandoned is not null)
        {
            foreach (var stepId in abandoned)
            {
                Cleanup(_tracked[stepId]);
                _tracked.Remove(stepId);
                _stepIdByHash.Remove(OperationIds.Hash(stepId));
            }
        }

        var waiting = false;
        var retry = false;
        var wait = false;
        foreach (var op in _tracked.Values)
        {
            switch (op.State)
            {
                case LifecycleState.RetryWaiting:
                    waiting = true;
                    retry |= op.SubType == OperationSubType.Step;
                    break;
                case LifecycleState.IdleAwaited or LifecycleState.IdleNotAwaited:
                    waiting = true;
                    wait |= op.SubType == OperationSubType.Wait;
                    break;
            }
        }

        if (!waiting)
        {
            return null;
        }

        return retry ? TerminationReason.RetryScheduled : wait ? TerminationReason.WaitScheduled : TerminationReason.CallbackPending;
    }

    private void CheckAndTerminate()
    {
        if (_disposed)
        {
            return;
        }

        if (ShouldTerminate() is { } reason)
        {
            ScheduleTermination(reason);
        }
        else
        {
            AbortTermination();
        }
    }

    // The official SDK waits 20 ms before suspending, so work that resumes right after an operation completes
    // (the next step of the same branch) cancels the suspension instead of racing it.
    private void ScheduleTermination(TerminationReason reason)
    {
        if (_terminationTimer is not null && _terminationReason == reason)
        {
            return;
        }

        AbortTermination();
        _terminationReason = reason;
        _terminationScheduledAt = Time.GetTimestamp();
        _terminationTimer = Time.CreateTimer(_ =>
        {
            lock (_gate)
            {
                if (_disposed || ShouldTerminate() is null)
                {
                    AbortTermination();
                    return;
                }

                if (HasLiveLease() || (ThreadPoolBusy() && Time.GetElapsedTime(_terminationScheduledAt) < MaxQuiescenceWait))
                {
                    _terminationTimer?.Change(TerminationCooldown, Timeout.InfiniteTimeSpan);
                    return;
                }

                _terminationTimer?.Dispose();
                _terminationTimer = null;
                _terminationReason = null;
                foreach (var op in _tracked.Values)
                {
                    Cleanup(op);
                }
            }

            Termination.Terminate(reason);
        }, null, TerminationCooldown, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Work queued or running besides this timer callback: possibly a branch that was preempted between two SDK
    /// calls. A JavaScript timer cannot fire in such a gap; a .NET one can, so suspension waits for quiet.
    /// </summary>
    private static bool ThreadPoolBusy()
    {
        ThreadPool.GetMaxThreads(out var maxWorkers, out _);
        ThreadPool.GetAvailableThreads(out var availableWorkers, out _);
        return ThreadPool.PendingWorkItemCount > 0 || maxWorkers - availableWorkers > 1;
    }

    private void AbortTermination()
    {
        _terminationTimer?.Dispose();
        _terminationTimer = null;
        _terminationReason = null;
    }

    private void StartPollTimer(Tracked op, DateTimeOffset? endTimestamp)
    {
        if (_disposed)
        {
            return;
        }

        var delay = endTimestamp is { } end ? end - Time.GetUtcNow() : InitialPollDelay;
        if (delay < TimeSpan.Zero)
        {
            delay = TimeSpan.Zero;
        }

        // A poll that could not happen before the deadline is not scheduled: the invocation suspends instead.
        if (delay > RemainingTime - MinRemainingToPoll)
        {
            return;
        }

        op.Timer?.Dispose();
        var stepId = op.StepId;
        op.Timer = Time.CreateTimer(_ => _ = PollAsync(stepId), null, delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>One empty checkpoint on behalf of a waiting operation; backs off 1 s more per poll up to 10 s (60 s after 95 polls).</summary>
    private async Task PollAsync(string stepId)
    {
        string? before;
        lock (_gate)
        {
            if (_disposed || !_tracked.TryGetValue(stepId, out var op) || op.Resolver is null)
            {
                return;
            }

            if (RemainingTime < MinRemainingToPoll)
            {
                op.Timer?.Dispose();
                op.Timer = null;
                return;
            }

            before = _operations.GetValueOrDefault(OperationIds.Hash(stepId))?.Status;
        }

        await ForceCheckpointAsync();
        lock (_gate)
        {
            if (_disposed || !_tracked.TryGetValue(stepId, out var op) || op.Resolver is null)
            {
                return;
            }

            var after = _operations.GetValueOrDefault(OperationIds.Hash(stepId))?.Status;
            if (after != before)
            {
                ResolveWaiting(OperationIds.Hash(stepId));
                return;
            }

            op.PollCount++;
            var ceiling = op.PollCount > PollsBeforeExtendedCeiling ? ExtendedPollCeiling : PollCeiling;
            var next = TimeSpan.FromSeconds(Math.Min(op.PollCount, ceiling.TotalSeconds));
            op.Timer?.Dispose();
            op.Timer = Time.CreateTimer(_ => _ = PollAsync(stepId), null, next, Timeout.InfiniteTimeSpan);
        }
    }
}
