namespace Lamina.Durable;

/// <summary>Operation types of the durable wire protocol (<c>OperationType</c> in the Lambda model).</summary>
public static class OperationType
{
    public const string Execution = "EXECUTION";
    public const string Context = "CONTEXT";
    public const string Step = "STEP";
    public const string Wait = "WAIT";
    public const string Callback = "CALLBACK";
    public const string ChainedInvoke = "CHAINED_INVOKE";
}

/// <summary>Operation statuses (<c>OperationStatus</c>).</summary>
public static class OperationStatus
{
    public const string Started = "STARTED";
    public const string Pending = "PENDING";
    public const string Ready = "READY";
    public const string Succeeded = "SUCCEEDED";
    public const string Failed = "FAILED";
    public const string Cancelled = "CANCELLED";
    public const string TimedOut = "TIMED_OUT";
    public const string Stopped = "STOPPED";

    /// <summary>True for the statuses an operation never leaves.</summary>
    public static bool IsTerminal(string? status) =>
        status is Succeeded or Failed or Cancelled or TimedOut or Stopped;
}

/// <summary>Checkpoint update actions (<c>OperationAction</c>).</summary>
public static class OperationAction
{
    public const string Start = "START";
    public const string Succeed = "SUCCEED";
    public const string Fail = "FAIL";
    public const string Retry = "RETRY";
    public const string Cancel = "CANCEL";
}

/// <summary>The SDK-level kinds the official SDK writes into <c>SubType</c>; the service stores them as given.</summary>
public static class OperationSubType
{
    public const string Step = "Step";
    public const string Wait = "Wait";
    public const string Callback = "Callback";
    public const string RunInChildContext = "RunInChildContext";
    public const string Map = "Map";
    public const string MapIteration = "MapIteration";
    public const string Parallel = "Parallel";
    public const string ParallelBranch = "ParallelBranch";
    public const string WaitForCallback = "WaitForCallback";
    public const string WaitForCondition = "WaitForCondition";
    public const string ChainedInvoke = "ChainedInvoke";
}
