using System.Text;
using System.Text.Json;
using Amazon.Lambda.Core;

namespace Lamina.Durable;

/// <summary>
/// A durable handler: give it the invocation event and it replays the execution, runs what is new and answers
/// SUCCEEDED, FAILED or PENDING. Call <see cref="HandleAsync(Stream, ILambdaContext)"/> from the function's handler
/// method (the stream form needs no Lambda serializer), or the typed form with one.
/// </summary>
public sealed class DurableHandler<TIn, TOut>
{
    /// <summary>The official SDK's limit: 6 MB minus 50 bytes for the response envelope.</summary>
    internal const int ResponseSizeLimit = (6 * 1024 * 1024) - 50;

    private static readonly Lazy<IDurableExecutionClient> EnvironmentClient = new(LambdaDurableExecutionClient.FromEnvironment);

    private readonly Func<TIn, IDurableContext, Task<TOut>> _handler;
    private readonly DurableFunctionOptions _options;
    private readonly DurableRuntimeSettings _settings;
    private readonly bool _hasResult;

    internal DurableHandler(Func<TIn, IDurableContext, Task<TOut>> handler, DurableFunctionOptions options, bool hasResult)
    {
        _handler = handler;
        _options = options;
        _settings = DurableRuntimeSettings.From(options);
        _hasResult = hasResult;
    }

    /// <summary>Reads the event from a stream and writes the <see cref="DurableExecutionInvocationOutput"/> JSON.</summary>
    public async Task<Stream> HandleAsync(Stream input, ILambdaContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var invocation = await JsonSerializer.DeserializeAsync(input, DurableWireJsonContext.Default.DurableExecutionInvocationInput)
            ?? throw new InvalidOperationException("The invocation event is empty.");
        var output = await HandleAsync(invocation, context, CancellationToken.None);
        return new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(output, DurableWireJsonContext.Relaxed.DurableExecutionInvocationOutput));
    }

    public Task<DurableExecutionInvocationOutput> HandleAsync(DurableExecutionInvocationInput input, ILambdaContext context) =>
        HandleAsync(input, context, CancellationToken.None);

    /// <remarks>
    /// (1) Check the event, load every page of history (GetDurableExecutionState while NextMarker is set). (2) Read the
    /// user's input from the EXECUTION operation. (3) Run the handler against the root context; race it with
    /// termination (suspension, a failed checkpoint, a serializer failure, non-determinism). (4) Drain the checkpoint
    /// queue. (5) Answer: PENDING for a suspension; FAILED for an execution-scoped fault or an exception from the
    /// handler; throw for invocation-scoped faults (the service retries the invocation); SUCCEEDED with the JSON result,
    /// which above 6 MB − 50 bytes is checkpointed as an EXECUTION SUCCEED and answered with an empty Result.
    /// </remarks>
    public async Task<DurableExecutionInvocationOutput> HandleAsync(DurableExecutionInvocationInput input, ILambdaContext? context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (string.IsNullOrEmpty(input.DurableExecutionArn) || string.IsNullOrEmpty(input.CheckpointToken))
        {
            throw new InvalidOperationException("Unexpected payload provided to start the durable execution.\n" +
                "Check your resource configurations to confirm the durability is set.");
        }

        var client = _options.Client ?? EnvironmentClient.Value;
        var operations = new List<Operation>(input.InitialExecutionState?.Operations ?? []);
        try
        {
            var marker = input.InitialExecutionState?.NextMarker;
            while (!string.IsNullOrEmpty(marker))
            {
                var page = await client.GetExecutionStateAsync(new GetDurableExecutionStateRequest
                {
                    DurableExecutionArn = input.DurableExecutionArn,
                    CheckpointToken = input.CheckpointToken,
                    Marker = marker,
                    MaxItems = 1000,
                }, cancellationToken);
                operations.AddRange(page.Operations ?? []);
                marker = page.NextMarker;
            }
        }
        catch (DurableExecutionClientException e) when (ExecutionState.IsKmsCustomerError(e.ErrorCode))
        {
            return Failed(e);
        }

        var execution = operations.Find(o => o.Type == OperationType.Execution) ?? (operations.Count > 0 ? operations[0] : null);
        TIn userInput;
        try
        {
            userInput = _settings.PlainJson.Deserialize<TIn>(execution?.ExecutionDetails?.InputPayload ?? "{}")!;
        }
        catch (JsonException e)
        {
            // Unlike the official SDK (which throws, and is retried until the execution times out), input that does
            // not fit TIn fails the execution: no retry can fix it.
            return Failed(e);
        }

        Func<TimeSpan> remaining = context is null ? () => TimeSpan.FromMinutes(15) : () => context.RemainingTime;
        var state = new ExecutionState(input.DurableExecutionArn, input.CheckpointToken, operations, client, _settings, remaining,
            context?.Logger, context);
        using var registration = cancellationToken.Register(() => state.Termination.Terminate(TerminationReason.OperationTerminated, "The invocation was cancelled."));
        try
        {
            return await RunAsync(state, userInput, operations.Count > 1);
        }
        finally
        {
            state.Dispose();
        }
    }

    private async Task<DurableExecutionInvocationOutput> RunAsync(ExecutionState state, TIn input, bool replaying)
    {
        var root = new DurableContext(state, null, replaying ? ReplayMode.Replay : ReplayMode.Execution, _settings.Serializer);
        var handlerTask = Task.Run(() => ActiveScope.RunAsync(new ActiveScope(root.ContextId, root, IsStep: false), () => _handler(input, root)));
        var first = await Task.WhenAny(handlerTask, state.Termination.Terminated);
        await Task.WhenAny(state.WaitForQueueCompletionAsync(), state.Termination.Terminated);

        // A fault after the handler returned (a failed final checkpoint) still wins; a suspension then does not:
        // branches a batch left behind may be waiting, but the execution is done.
        if (first != handlerTask || (state.Termination.IsTerminated && !state.Termination.Terminated.Result.IsSuspension))
        {
            return Terminated(await state.Termination.Terminated);
        }

        if (handlerTask.IsFaulted)
        {
            var error = handlerTask.Exception!.InnerException ?? handlerTask.Exception;
            if (error is DurableUnrecoverableException { IsExecutionScoped: false })
            {
                throw error;
            }

            return Failed(error);
        }

        if (handlerTask.IsCanceled)
        {
            return Failed(new TaskCanceledException(handlerTask));
        }

        if (!_hasResult)
        {
            return new DurableExecutionInvocationOutput { Status = InvocationStatus.SUCCEEDED };
        }

        var result = _settings.PlainJson.Serialize(handlerTask.Result);
        if (Encoding.UTF8.GetByteCount(result) <= ResponseSizeLimit)
        {
            return new DurableExecutionInvocationOutput { Status = InvocationStatus.SUCCEEDED, Result = result };
        }

        var stepId = $"execution-result-{state.Time.GetUtcNow().ToUnixTimeMilliseconds()}";
        var stored = state.CheckpointAsync(stepId, new OperationUpdate
        {
            Id = OperationIds.Hash(stepId),
            Type = OperationType.Execution,
            Action = OperationAction.Succeed,
            Payload = result,
        });
        if (await Task.WhenAny(stored, state.Termination.Terminated) != stored)
        {
            return Terminated(await state.Termination.Terminated);
        }

        return new DurableExecutionInvocationOutput { Status = InvocationStatus.SUCCEEDED, Result = "" };
    }

    private static DurableExecutionInvocationOutput Terminated(TerminationResult termination)
    {
        if (termination.IsSuspension)
        {
            return new DurableExecutionInvocationOutput { Status = InvocationStatus.PENDING };
        }

        var error = termination.Error ?? new InvalidOperationException(termination.Message);
        if (error is DurableUnrecoverableException { IsExecutionScoped: false })
        {
            throw error;
        }

        return Failed(error);
    }

    private static DurableExecutionInvocationOutput Failed(Exception error) =>
        new() { Status = InvocationStatus.FAILED, Error = DurableOperationException.ErrorObjectFor(error) };
}
