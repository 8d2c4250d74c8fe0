using System.Collections.Concurrent;
using System.Reflection;
using Lamina.Lambda.Shared;

namespace Lamina.Runtime.Dotnet;

/// <summary>
/// The function's ILambdaLogger. Every overload is one record in the sink: <c>Log</c>/<c>LogLine(message)</c> at
/// Information, <c>Log(level, …)</c> at the given level (a string or the LogLevel enum), <c>LogTrace</c> …
/// <c>LogCritical</c> at theirs; an Exception argument and a <c>params object[]</c> of template arguments are
/// picked up wherever the overload has them.
/// </summary>
#pragma warning disable CA1852 // DispatchProxy derives the proxy class from this type at run time: it cannot be sealed.
internal class LoggerProxy : DispatchProxy
#pragma warning restore CA1852
{
    private static readonly ConcurrentDictionary<MethodInfo, Shape> Shapes = new();

    public LogSink Sink { get; set; } = null!;

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        if (targetMethod is null || args is null)
        {
            return null;
        }

        var shape = Shapes.GetOrAdd(targetMethod, ShapeOf);
        var level = shape.LevelArgument >= 0 ? args[shape.LevelArgument]?.ToString() : shape.FixedLevel;
        Sink.Write(level,
            shape.MessageArgument >= 0 ? args[shape.MessageArgument] as string : null,
            shape.TemplateArgument >= 0 ? args[shape.TemplateArgument] as object?[] : null,
            shape.ExceptionArgument >= 0 ? args[shape.ExceptionArgument] as Exception : null);
        return null;
    }

    private static Shape ShapeOf(MethodInfo method)
    {
        var parameters = method.GetParameters();
        var fixedLevel = method.Name switch
        {
            "LogTrace" => "Trace",
            "LogDebug" => "Debug",
            "LogInformation" => "Information",
            "LogWarning" => "Warning",
            "LogError" => "Error",
            "LogCritical" => "Critical",
            _ => null,
        };

        int level = -1, message = -1, exception = -1, template = -1;
        for (var i = 0; i < parameters.Length; i++)
        {
            var type = parameters[i].ParameterType;
            if (typeof(Exception).IsAssignableFrom(type))
            {
                exception = i;
            }
            else if (type == typeof(object[]))
            {
                template = i;
            }
            else if (fixedLevel is null && level < 0 && parameters.Length > 1 && i == 0 && (type == typeof(string) || type.IsEnum))
            {
                level = i;
            }
            else if (type == typeof(string) && message < 0)
            {
                message = i;
            }
        }

        return new Shape(fixedLevel, level, message, exception, template);
    }

    private sealed record Shape(string? FixedLevel, int LevelArgument, int MessageArgument, int ExceptionArgument, int TemplateArgument);
}
