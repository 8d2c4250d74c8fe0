using Amazon.Lambda.Core;

namespace Lamina.Durable;

/// <summary>
/// Everything one invocation of one execution shares: the operations known so far (history plus checkpoint
/// responses), the checkpoint queue, the lifecycle of the operations in flight and the termination signal. One lock
/// guards all of it; user code never runs under it.
/// </summary>
internal sealed partial class ExecutionState
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Operation> _operations = new(StringComparer.Ordinal);
    private readonly IDurableExecutionClient _client;
    private readonly Func<TimeSpan> _remainingTime;

    public ExecutionState(
        string durableExecutionArn,
        string checkpointToken,
        IEnumerable<Operation> operations,
        IDurableExecutionClient client,
        DurableRuntimeSettings settings,
        Func<TimeSpan> remainingTime,
        ILambdaLogger? lambdaLogger,
        ILambdaContext? lambdaContext)
    {
        DurableExecutionArn = durableExecutionArn;
        _token = checkpointToken;
        _client = client;
        Settings = settings;
        _remainingTime = remainingTime;
        LambdaLogger = lambdaLogger;
        LambdaContext = lambdaContext;
        foreach (var operation in operations)
        {
            _operations[operation.Id] = operation;
        }

        Termination.OnTerminate(SetTerminating);
    }

    public string DurableExecutionArn { get; }

    public DurableRuntimeSettings Settings { get; }

    public TimeProvider Time => Settings.TimeProvider;

    public ILambdaLogger? LambdaLogger { get; }

    public ILambdaContext? LambdaContext { get; }

    public TerminationManager Termination { get; } = new();

    public TimeSpan RemainingTime => _remainingTime();

    /// <summary>The operation recorded for a step id (hashed on the way in), or null.</summary>
    public Operation? Get(string stepId)
    {
        var id = OperationIds.Hash(stepId);
        lock (_gate)
        {
            return _operations.GetValueOrDefault(id);
        }
    }

    public int OperationCount
    {
        get
        {
            lock (_gate)
            {
                return _operations.Count;
            }
        }
    }

    /// <summary>A task that never completes: how an operation "returns" once the invocation is ending.</summary>
    public static Task Never() => new TaskCompletionSource().Task;

    public static Task<T> Never<T>() => new TaskCompletionSource<T>().Task;

    public SerdesContext SerdesFor(string stepId) => new(OperationIds.Hash(stepId), DurableExecutionArn);

    /// <summary>
    /// Serializes through <paramref name="serializer"/>; a failure terminates the invocation (it throws, and the
    /// service retries) and the caller never resumes, as the official SDK's <c>safeSerialize</c>.
    /// </summary>
    public async Task<string?> SafeSerializeAsync<T>(IDurableSerializer serializer, T value, string stepId, string? name)
    {
        try
        {
            return await serializer.SerializeAsync(value, SerdesFor(stepId), Termination.Token);
        }
        catch (Exception e) when (e is not DurableUnrecoverableException)
        {
            var error = new SerdesFailedException($"Serialization failed for step {Describe(stepId, name)}: {e.Message}", e);
            Termination.Terminate(TerminationReason.SerdesFailed, error.Message, error);
            return await Never<string?>();
        }
    }

    public async Task<T?> SafeDeserializeAsync<T>(IDurableSerializer serializer, string? payload, string stepId, string? name)
    {
        try
        {
            return await serializer.DeserializeAsync<T>(payload, SerdesFor(stepId), Termination.Token);
        }
        catch (Exception e) when (e is not DurableUnrecoverableException)
        {
            var error = new SerdesFailedException($"Deserialization failed for step {Describe(stepId, name)}: {e.Message}", e);
            Termination.Terminate(TerminationReason.SerdesFailed, error.Message, error);
            return await Never<T?>();
        }
    }

    /// <summary>Ends the invocation for an unrecoverable error; the returned task never completes.</summary>
    public Task<T> Fail<T>(DurableUnrecoverableException error, TerminationReason reason)
    {
        Termination.Terminate(reason, error.Message, error);
        return Never<T>();
    }

    private static string Describe(string stepId, string? name) => name is null ? $"({stepId})" : $"\"{name}\" ({stepId})";
}
