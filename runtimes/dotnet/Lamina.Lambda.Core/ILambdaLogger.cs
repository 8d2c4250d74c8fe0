#nullable disable

using Lamina.Lambda.Shared;

namespace Amazon.Lambda.Core;

/// <summary>
/// The invocation's logger. Each call writes one log record: in the text format
/// <c>&lt;UTC time&gt;\t&lt;request id&gt;\t&lt;level&gt;\t&lt;message&gt;</c>, or one JSON object per record when the
/// function's log format is JSON. Records below <c>AWS_LAMBDA_LOG_LEVEL</c> are dropped.
/// </summary>
/// <remarks>
/// Only <see cref="Log(string)"/> and <see cref="LogLine(string)"/> must be implemented; the level overloads
/// have default implementations, so a test double implementing two methods is enough. The runtime's own
/// logger implements all of them. Messages with arguments use message templates: <c>{name}</c> placeholders
/// are filled from <c>args</c> in order.
/// </remarks>
public interface ILambdaLogger
{
    /// <summary>Logs <paramref name="message"/> as one record at Information level.</summary>
    void Log(string message);

    /// <summary>Logs <paramref name="message"/> as one record at Information level.</summary>
    void LogLine(string message);

    /// <summary>Logs a message at the level named by <paramref name="level"/> (a <see cref="LogLevel"/> name).</summary>
    void Log(string level, string message) => LogLine(message);

    /// <summary>Logs a message at <paramref name="level"/>.</summary>
    void Log(LogLevel level, string message) => Log(level.ToString(), message);

    /// <summary>Logs at Trace level.</summary>
    void LogTrace(string message) => Log(LogLevel.Trace, message);

    /// <summary>Logs at Debug level.</summary>
    void LogDebug(string message) => Log(LogLevel.Debug, message);

    /// <summary>Logs at Information level.</summary>
    void LogInformation(string message) => Log(LogLevel.Information, message);

    /// <summary>Logs at Warning level.</summary>
    void LogWarning(string message) => Log(LogLevel.Warning, message);

    /// <summary>Logs at Error level.</summary>
    void LogError(string message) => Log(LogLevel.Error, message);

    /// <summary>Logs at Critical level.</summary>
    void LogCritical(string message) => Log(LogLevel.Critical, message);

    /// <summary>Logs a message template with arguments at the level named by <paramref name="level"/>.</summary>
    void Log(string level, string message, params object[] args) => Log(level, MessageTemplate.Format(message, args));

    /// <summary>Logs a message template, its arguments and an exception at the level named by <paramref name="level"/>.</summary>
    void Log(string level, Exception exception, string message, params object[] args) =>
        Log(level, MessageTemplate.Format(message, args) + (exception is null ? "" : "\n" + exception));

    /// <summary>Logs a message template with arguments at <paramref name="level"/>.</summary>
    void Log(LogLevel level, string message, params object[] args) => Log(level.ToString(), message, args);

    /// <summary>Logs a message template, its arguments and an exception at <paramref name="level"/>.</summary>
    void Log(LogLevel level, Exception exception, string message, params object[] args) => Log(level.ToString(), exception, message, args);

    /// <summary>Logs a message template at Trace level.</summary>
    void LogTrace(string message, params object[] args) => Log(LogLevel.Trace, message, args);

    /// <summary>Logs a message template and an exception at Trace level.</summary>
    void LogTrace(Exception exception, string message, params object[] args) => Log(LogLevel.Trace, exception, message, args);

    /// <summary>Logs a message template at Debug level.</summary>
    void LogDebug(string message, params object[] args) => Log(LogLevel.Debug, message, args);

    /// <summary>Logs a message template and an exception at Debug level.</summary>
    void LogDebug(Exception exception, string message, params object[] args) => Log(LogLevel.Debug, exception, message, args);

    /// <summary>Logs a message template at Information level.</summary>
    void LogInformation(string message, params object[] args) => Log(LogLevel.Information, message, args);

    /// <summary>Logs a message template and an exception at Information level.</summary>
    void LogInformation(Exception exception, string message, params object[] args) => Log(LogLevel.Information, exception, message, args);

    /// <summary>Logs a message template at Warning level.</summary>
    void LogWarning(string message, params object[] args) => Log(LogLevel.Warning, message, args);

    /// <summary>Logs a message template and an exception at Warning level.</summary>
    void LogWarning(Exception exception, string message, params object[] args) => Log(LogLevel.Warning, exception, message, args);

    /// <summary>Logs a message template at Error level.</summary>
    void LogError(string message, params object[] args) => Log(LogLevel.Error, message, args);

    /// <summary>Logs a message template and an exception at Error level.</summary>
    void LogError(Exception exception, string message, params object[] args) => Log(LogLevel.Error, exception, message, args);

    /// <summary>Logs a message template at Critical level.</summary>
    void LogCritical(string message, params object[] args) => Log(LogLevel.Critical, message, args);

    /// <summary>Logs a message template and an exception at Critical level.</summary>
    void LogCritical(Exception exception, string message, params object[] args) => Log(LogLevel.Critical, exception, message, args);
}
