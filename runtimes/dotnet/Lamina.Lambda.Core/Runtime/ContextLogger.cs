using Amazon.Lambda.Core;
using Lamina.Lambda.Shared;

namespace Lamina.Lambda;

/// <summary><see cref="ILambdaContext.Logger"/> in executable mode: every call is one record in the sink.</summary>
internal sealed class ContextLogger(LogSink sink) : ILambdaLogger
{
    public void Log(string message) => sink.Write(null, message, null);

    public void LogLine(string message) => sink.Write(null, message, null);

    public void Log(string level, string message) => sink.Write(level, message, null);

    public void Log(string level, string message, params object[] args) => sink.Write(level, message, args);

    public void Log(string level, Exception exception, string message, params object[] args) => sink.Write(level, message, args, exception);
}
