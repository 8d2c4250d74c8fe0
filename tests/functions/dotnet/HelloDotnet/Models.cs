namespace HelloDotnet;

public sealed class Greeting
{
    public string? Name { get; set; }

    public int Count { get; set; }
}

public sealed class Reply
{
    public string? Message { get; set; }

    public int Doubled { get; set; }

    /// <summary>Always null: the default serializer leaves it out.</summary>
    public string? Missing { get; set; }
}

public sealed class ContextReport
{
    public string? AwsRequestId { get; set; }

    public string? FunctionName { get; set; }

    public string? FunctionVersion { get; set; }

    public string? InvokedFunctionArn { get; set; }

    public string? LogGroupName { get; set; }

    public string? LogStreamName { get; set; }

    public int MemoryLimitInMB { get; set; }

    public double RemainingTimeMs { get; set; }

    public string? TraceId { get; set; }

    public string? TraceVariable { get; set; }

    public Dictionary<string, string>? ClientCustom { get; set; }

    public bool HasIdentity { get; set; }

    public string? ExecutionEnv { get; set; }

    public string? GcHeapHardLimit { get; set; }

    public string? WorkingDirectory { get; set; }
}

public sealed class HelloReport
{
    public string? Env { get; set; }

    public string? Greeting { get; set; }

    public string? Layer { get; set; }

    public string? Tmp { get; set; }
}

public sealed class CounterState
{
    public int Constructed { get; set; }

    public int Calls { get; set; }
}
