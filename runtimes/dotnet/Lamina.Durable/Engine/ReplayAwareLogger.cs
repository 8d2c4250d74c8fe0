using Amazon.Lambda.Core;

namespace Lamina.Durable;

/// <summary>
/// Forwards to the invocation's logger unless the code that logs is replaying: inside a step it always logs (steps
/// only run for real), elsewhere only when the active context is executing new operations.
/// </summary>
internal sealed class ReplayAwareLogger(ILambdaLogger inner, DurableContext owner) : ILambdaLogger
{
    public void Log(string message)
    {
        if (ShouldLog())
        {
            inner.Log(message);
        }
    }

    public void LogLine(string message)
    {
        if (ShouldLog())
        {
            inner.LogLine(message);
        }
    }

    public void Log(string level, string message)
    {
        if (ShouldLog())
        {
            inner.Log(level, message);
        }
    }

    public void Log(string level, string message, params object[] args)
    {
        if (ShouldLog())
        {
            inner.Log(level, message, args);
        }
    }

    public void Log(string level, Exception exception, string message, params object[] args)
    {
        if (ShouldLog())
        {
            inner.Log(level, exception, message, args);
        }
    }

    private bool ShouldLog()
    {
        var scope = ActiveScope.Current;
        if (scope is null)
        {
            return !owner.IsReplaying;
        }

        return scope.IsStep || scope.Context is not { IsReplaying: true };
    }
}

/// <summary>The logger used when the handler got no Lambda context: plain lines on standard output.</summary>
internal sealed class ConsoleLambdaLogger : ILambdaLogger
{
    public static ConsoleLambdaLogger Instance { get; } = new();

    public void Log(string message) => Console.Write(message);

    public void LogLine(string message) => Console.WriteLine(message);

    public void Log(string level, string message) => Console.WriteLine($"[{level}] {message}");
}
