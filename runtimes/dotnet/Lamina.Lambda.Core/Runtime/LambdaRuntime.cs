using Amazon.Lambda.Core;
using Lamina.Lambda.Shared;

namespace Lamina.Lambda;

/// <summary>
/// The Runtime API loop for executable-mode functions (handler without <c>::</c>, or a <c>provided.*</c>
/// bootstrap): <c>Main</c> calls <c>RunAsync</c>, which serves invocations until the environment ends.
/// </summary>
/// <example>
/// <code>
/// await LambdaRuntime.RunAsync&lt;Order, Receipt&gt;(async (order, context) => await CheckoutAsync(order), new DefaultLambdaJsonSerializer());
/// </code>
/// </example>
/// <remarks>
/// As in class-library mode, <c>Console.Out</c> and <c>Console.Error</c> become log records, <see cref="LambdaLogger"/>
/// and <see cref="ILambdaContext.Logger"/> carry the request id, <c>_X_AMZN_TRACE_ID</c> is set per invocation, and an
/// exception becomes an <c>{"errorType","errorMessage","stackTrace"}</c> error. <c>RunAsync</c> returns 1 only when the
/// Runtime API fails (use it as the exit status); it throws when <c>AWS_LAMBDA_RUNTIME_API</c> is not set.
/// </remarks>
public static class LambdaRuntime
{
    /// <summary>Serves an asynchronous handler; the serializer reads the event and writes the result.</summary>
    public static Task<int> RunAsync<TInput, TOutput>(Func<TInput, ILambdaContext, Task<TOutput>> handler, ILambdaSerializer serializer,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(serializer);
        return RunCoreAsync(async (input, context, output) =>
        {
            var result = await handler(serializer.Deserialize<TInput>(input), context).ConfigureAwait(false);
            serializer.Serialize(result, output);
        }, cancellationToken);
    }

    /// <summary>Serves a synchronous handler; the serializer reads the event and writes the result.</summary>
    public static Task<int> RunAsync<TInput, TOutput>(Func<TInput, ILambdaContext, TOutput> handler, ILambdaSerializer serializer,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(serializer);
        return RunCoreAsync((input, context, output) =>
        {
            serializer.Serialize(handler(serializer.Deserialize<TInput>(input), context), output);
            return Task.CompletedTask;
        }, cancellationToken);
    }

    /// <summary>Serves a handler working on raw bytes: the event's body in, the response body out.</summary>
    public static Task<int> RunAsync(Func<Stream, ILambdaContext, Task<Stream>> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return RunCoreAsync(async (input, context, output) =>
        {
            var result = await handler(input, context).ConfigureAwait(false);
            if (result is not null)
            {
                await result.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            }
        }, cancellationToken);
    }

    private static async Task<int> RunCoreAsync(Func<Stream, ILambdaContext, Stream, Task> invoke, CancellationToken cancellationToken)
    {
        using var client = RuntimeApiClient.FromEnvironment();
        var sink = LogSink.Shared;
        sink.RedirectConsole();
        var logger = new ContextLogger(sink);
        return await RuntimeLoop.RunAsync(client, sink,
            (invocation, input, output) => invoke(input, new InvocationContext(invocation, logger), output), cancellationToken).ConfigureAwait(false);
    }
}
