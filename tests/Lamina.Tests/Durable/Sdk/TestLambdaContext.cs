using System.Collections.Concurrent;
using Amazon.Lambda.Core;

namespace Lamina.Tests.Durable.Sdk;

/// <summary>An ILambdaContext for driving handlers in-process; its logger keeps every line.</summary>
public sealed class TestLambdaContext : ILambdaContext
{
    public TestLambdaContext(TimeSpan? remaining = null) => Remaining = remaining ?? TimeSpan.FromMinutes(10);

    public TimeSpan Remaining { get; set; }

    public CapturingLogger Lines { get; } = new();

    public string AwsRequestId => "req-1";
    public IClientContext ClientContext => null!;
    public string FunctionName => "orders";
    public string FunctionVersion => "1";
    public ICognitoIdentity Identity => null!;
    public string InvokedFunctionArn => "arn:aws:lambda:us-east-1:123456789012:function:orders:1";
    public ILambdaLogger Logger => Lines;
    public string LogGroupName => "/aws/lambda/orders";
    public string LogStreamName => "stream";
    public int MemoryLimitInMB => 128;
    public TimeSpan RemainingTime => Remaining;

    public sealed class CapturingLogger : ILambdaLogger
    {
        public ConcurrentQueue<string> All { get; } = new();

        public void Log(string message) => All.Enqueue(message);

        public void LogLine(string message) => All.Enqueue(message);

        public void Log(string level, string message) => All.Enqueue($"{level}: {message}");
    }
}
