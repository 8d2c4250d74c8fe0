#nullable disable

using Lamina.Lambda.Shared;

namespace Amazon.Lambda.Core;

/// <summary>
/// Static logging for code that has no <see cref="ILambdaContext"/> at hand. Records carry the current
/// invocation's request id and use the function's log format, like <see cref="ILambdaContext.Logger"/>.
/// </summary>
/// <remarks>
/// The class-library runtime host replaces the three private delegate fields below by name when this
/// assembly loads (as AWS's runtime does with Amazon.Lambda.Core), so their names and types must not change
/// and they must stay writable. Without a host, for instance in an executable-mode function using
/// <c>Lamina.Lambda.LambdaRuntime</c>, records go to standard output through <see cref="LogSink.Shared"/>.
/// </remarks>
public static class LambdaLogger
{
#pragma warning disable IDE0044 // Replaced by reflection: must stay writable.
    private static Action<string> _loggingAction = message => LogSink.Shared.Write(null, message, null);
    private static Action<string, string, object[]> _loggingWithLevelAction = (level, message, args) =>
        LogSink.Shared.Write(level, message, args);
    private static Action<string, Exception, string, object[]> _loggingWithLevelAndExceptionAction = (level, exception, message, args) =>
        LogSink.Shared.Write(level, message, args, exception);
#pragma warning restore IDE0044

    /// <summary>Logs <paramref name="message"/> as one record at Information level.</summary>
    public static void Log(string message) => _loggingAction(message);

    /// <summary>Logs a message template with arguments at the level named by <paramref name="level"/>.</summary>
    public static void Log(string level, string message, params object[] args) => _loggingWithLevelAction(level, message, args);

    /// <summary>Logs a message template with arguments at <paramref name="level"/>.</summary>
    public static void Log(LogLevel level, string message, params object[] args) => Log(level.ToString(), message, args);

    /// <summary>Logs a message template, its arguments and an exception at the level named by <paramref name="level"/>.</summary>
    public static void Log(string level, Exception exception, string message, params object[] args) =>
        _loggingWithLevelAndExceptionAction(level, exception, message, args);

    /// <summary>Logs a message template, its arguments and an exception at <paramref name="level"/>.</summary>
    public static void Log(LogLevel level, Exception exception, string message, params object[] args) =>
        Log(level.ToString(), exception, message, args);
}
