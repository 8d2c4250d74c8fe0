using System.Text;
using System.Text.Json;

namespace Lamina.Durable;

internal sealed partial class ExecutionState
{
    // The official SDK's CheckpointManager limits: 250 updates and ~750 KB per call, one call in flight.
    private const int MaxItemsInBatch = 250;
    private const int MaxBatchBytes = 750 * 1024;

    private readonly List<QueuedUpdate> _queue = [];
    private readonly List<TaskCompletionSource> _forceWaiters = [];
    private readonly List<TaskCompletionSource> _idleWaiters = [];
    private string _token;
    private bool _processing;
    private bool _terminating;

    private sealed record QueuedUpdate(OperationUpdate Update, int SizeBytes, TaskCompletionSource Done);

    /// <summary>The current checkpoint token (each checkpoint consumes one and returns the next).</summary>
    public string CheckpointToken
    {
        get
        {
            lock (_gate)
            {
                return _token;
            }
        }
    }

    /// <summary>
    /// Queues one update. The task completes once a checkpoint call carrying it succeeds and its response is applied;
    /// it never completes when the invocation is ending or an enclosing context already finished.
    /// </summary>
    public Task CheckpointAsync(string stepId, OperationUpdate update)
    {
        var size = Encoding.UTF8.GetByteCount(stepId) +
            JsonSerializer.SerializeToUtf8Bytes(update, DurableWireJsonContext.Default.OperationUpdate).Length;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_terminating || HasFinishedAncestor(stepId))
            {
                return Never();
            }

            _queue.Add(new QueuedUpdate(update, size, done));
            if (!_processing)
            {
                ScheduleProcessing();
            }
        }

        return done.Task;
    }

    /// <summary>An empty checkpoint: a new token and the service-side changes since the last one (section 5 polling).</summary>
    public Task ForceCheckpointAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_terminating)
            {
                return Never();
            }

            _forceWaiters.Add(done);
            if (!_processing)
            {
                ScheduleProcessing();
            }
        }

        return done.Task;
    }

    /// <summary>Completes when nothing is queued or in flight.</summary>
    public Task WaitForQueueCompletionAsync()
    {
        lock (_gate)
        {
            if (_queue.Count == 0 && !_processing)
            {
                return Task.CompletedTask;
            }

            var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _idleWaiters.Add(idle);
            return idle.Task;
        }
    }

    private void SetTerminating()
    {
        lock (_gate)
        {
            _terminating = true;
        }
    }

    // Like the official SDK's setImmediate: updates queued by the same synchronous run of code share one call.
    private void ScheduleProcessing() => ThreadPool.UnsafeQueueUserWorkItem(static s => _ = s.ProcessQueueAsync(), this, preferLocal: false);

    /// <remarks>
    /// (1) Take up to 250 updates / ~750 KB in queue order (the token's length plus 100 bytes counts as overhead).
    /// (2) Send them with the current token and a fresh ClientToken (the transport reuses it on its own retries).
    /// (3) On success adopt the new token, apply NewExecutionState (waking operations whose status changed), and
    /// complete the batch and the pending empty-checkpoint requests. (4) On failure classify it (section 4), drop the
    /// queue and terminate: nothing queued will ever complete. (5) Go again while work remains; otherwise release
    /// queue-completion waiters and re-check whether the invocation can suspend.
    /// </remarks>
    private async Task ProcessQueueAsync()
    {
        List<QueuedUpdate> batch;
        List<TaskCompletionSource> forces;
        string token;
        lock (_gate)
        {
            if (_processing || (_queue.Count == 0 && _forceWaiters.Count == 0))
            {
                return;
            }

            _processing = true;
            token = _token;
            batch = [];
            var size = token.Length + 100;
            while (batch.Count < _queue.Count)
            {
                var next = _queue[batch.Count];
                if ((size + next.SizeBytes > MaxBatchBytes || batch.Count >= MaxItemsInBatch) && batch.Count > 0)
                {
                    break;
                }

                batch.Add(next);
                size += next.SizeBytes;
            }

            _queue.RemoveRange(0, batch.Count);
            forces = [.. _forceWaiters];
            _forceWaiters.Clear();
        }

        try
        {
            var updates = new OperationUpdate[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                updates[i] = batch[i].Update;
            }

            var response = await _client.CheckpointAsync(new CheckpointDurableExecutionRequest
            {
                DurableExecutionArn = DurableExecutionArn,
                CheckpointToken = token,
                Updates = updates,
                ClientToken = Guid.NewGuid().ToString(),
            }, CancellationToken.None);

            lock (_gate)
            {
                if (!string.IsNullOrEmpty(response.CheckpointToken))
                {
                    _token = response.CheckpointToken;
                }

                if (response.NewExecutionState?.Operations is { } changed)
                {
                    ApplyOperations(changed);
                }
            }

            foreach (var item in batch)
            {
                item.Done.TrySetResult();
            }

            foreach (var force in forces)
            {
                force.TrySetResult();
            }
        }
        catch (Exception e)
        {
            var error = ClassifyCheckpointError(e);
            lock (_gate)
            {
                _queue.Clear();
                _forceWaiters.Clear();
            }

            Termination.Terminate(TerminationReason.CheckpointFailed, error.Message, error);
        }
        finally
        {
            List<TaskCompletionSource>? idle = null;
            lock (_gate)
            {
                _processing = false;
                if (_queue.Count > 0 || _forceWaiters.Count > 0)
                {
                    ScheduleProcessing();
                }
                else
                {
                    idle = [.. _idleWaiters];
                    _idleWaiters.Clear();
                    if (_terminationTimer is null)
                    {
                        CheckAndTerminate();
                    }
                }
            }

            if (idle is not null)
            {
                foreach (var waiter in idle)
                {
                    waiter.TrySetResult();
                }
            }
        }
    }

    /// <summary>Section 4 of the protocol, as the official SDK's <c>classifyCheckpointError</c>.</summary>
    internal static DurableUnrecoverableException ClassifyCheckpointError(Exception e)
    {
        var message = "Checkpoint failed: " + e.Message;
        if (e is DurableExecutionClientException client)
        {
            var clientError = client.StatusCode is >= 400 and < 500;
            if (clientError && client.ErrorCode == "InvalidParameterValueException" &&
                client.Message.StartsWith("Invalid Checkpoint Token", StringComparison.Ordinal))
            {
                return new CheckpointUnrecoverableInvocationException(message, e);
            }

            if ((clientError && client.StatusCode != 429) || IsKmsCustomerError(client.ErrorCode))
            {
                return new CheckpointUnrecoverableExecutionException(message, e);
            }
        }

        return new CheckpointUnrecoverableInvocationException(message, e);
    }

    internal static bool IsKmsCustomerError(string? errorCode) => errorCode is "KMSAccessDeniedException" or "KMSDisabledException"
        or "KMSInvalidStateException" or "KMSNotFoundException";

    /// <summary>Stores the operations a checkpoint response reported; wakes those whose status changed. Caller holds the lock.</summary>
    private void ApplyOperations(IReadOnlyList<Operation> operations)
    {
        foreach (var operation in operations)
        {
            if (string.IsNullOrEmpty(operation.Id))
            {
                continue;
            }

            var old = _operations.GetValueOrDefault(operation.Id)?.Status;
            _operations[operation.Id] = operation;
            if (old != operation.Status)
            {
                ResolveWaiting(operation.Id);
            }
        }
    }
}
