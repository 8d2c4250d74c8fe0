using System.Reflection;
using Lamina.Lambda.Shared;

namespace Lamina.Runtime.Dotnet;

/// <summary>
/// Sends the function's static <c>Amazon.Lambda.Core.LambdaLogger</c> into the log sink by assigning its private
/// delegate fields (<c>_loggingAction</c>, and on .NET 8+ builds <c>_loggingWithLevelAction</c> and
/// <c>_loggingWithLevelAndExceptionAction</c>) when the assembly defining it loads, as AWS's runtime does.
/// </summary>
internal static class LambdaLoggerRedirect
{
    public static void Install(LogSink sink)
    {
        AppDomain.CurrentDomain.AssemblyLoad += (_, e) => Redirect(e.LoadedAssembly, sink);
        foreach (var loaded in AppDomain.CurrentDomain.GetAssemblies())
        {
            Redirect(loaded, sink);
        }
    }

    private static void Redirect(Assembly assembly, LogSink sink)
    {
        if (Array.IndexOf(TypeNames.CoreAssemblies, assembly.GetName().Name) < 0 || assembly.GetType(TypeNames.LambdaLogger) is not { } logger)
        {
            return;
        }

        Assign(logger, "_loggingAction", new Action<string>(message => sink.Write(null, message, null)));
        Assign(logger, "_loggingWithLevelAction", new Action<string, string, object[]>((level, message, args) => sink.Write(level, message, args)));
        Assign(logger, "_loggingWithLevelAndExceptionAction",
            new Action<string, Exception, string, object[]>((level, exception, message, args) => sink.Write(level, message, args, exception)));
    }

    private static void Assign(Type logger, string name, Delegate action)
    {
        // Older packages lack the level fields: those simply keep their defaults.
        if (logger.GetField(name, BindingFlags.NonPublic | BindingFlags.Static) is { IsInitOnly: false } field && field.FieldType == action.GetType())
        {
            field.SetValue(null, action);
        }
    }
}
