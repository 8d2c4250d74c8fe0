using System.Globalization;

namespace Lamina.Lambda.Shared;

/// <summary>The function settings Lambda passes in reserved environment variables, read once.</summary>
internal sealed class LambdaEnvironment
{
    public static readonly LambdaEnvironment Current = new();

    private LambdaEnvironment()
    {
        FunctionName = Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_NAME") ?? "";
        FunctionVersion = Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_VERSION") ?? "";
        LogGroupName = Environment.GetEnvironmentVariable("AWS_LAMBDA_LOG_GROUP_NAME") ?? "";
        LogStreamName = Environment.GetEnvironmentVariable("AWS_LAMBDA_LOG_STREAM_NAME") ?? "";
        MemoryLimitInMB = int.TryParse(Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), NumberStyles.Integer,
            CultureInfo.InvariantCulture, out var memory) ? memory : 0;
    }

    public string FunctionName { get; }

    public string FunctionVersion { get; }

    public string LogGroupName { get; }

    public string LogStreamName { get; }

    public int MemoryLimitInMB { get; }
}
