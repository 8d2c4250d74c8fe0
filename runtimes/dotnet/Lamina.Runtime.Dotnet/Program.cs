using System.Reflection;
using Lamina.Lambda.Shared;

namespace Lamina.Runtime.Dotnet;

/// <summary>Entry point of the class-library host: load the handler, then serve invocations.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var handler = args.Length > 0 ? args[0] : Environment.GetEnvironmentVariable("_HANDLER") ?? "";
        var sink = LogSink.Shared;
        sink.RedirectConsole();
        using var client = RuntimeApiClient.FromEnvironment();

        HandlerInvoker invoker;
        try
        {
            invoker = UserCodeLoader.Load(handler, sink);
        }
#pragma warning disable CA1031 // Any failure to load the function is an init error to report, not a crash.
        catch (Exception e)
#pragma warning restore CA1031
        {
            // A throwing constructor surfaces from Activator wrapped; the function's own exception is the useful one.
            var error = e is TargetInvocationException { InnerException: { } inner } ? inner : e;
            sink.Write(LogLevels.Error, null, error.ToString(), null, null, toError: true);
            try
            {
                await client.PostInitErrorAsync(error.GetType().Name, ErrorJson.From(error), CancellationToken.None);
            }
            catch (Exception post) when (post is RuntimeApiException or HttpRequestException)
            {
                sink.WriteRuntimeLine($"Could not report the init error: {post.Message}");
            }

            return 1;
        }

        return await RuntimeLoop.RunAsync(client, sink, invoker.InvokeAsync, CancellationToken.None);
    }
}
