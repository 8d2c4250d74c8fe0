using Lamina.Lambda.Shared;

namespace Lamina.Runtime.Dotnet;

/// <summary>The loaded handler: the compiled call, and the context factory when the handler takes an ILambdaContext.</summary>
internal sealed class HandlerInvoker(Func<Stream, object?, Stream, Task> invoke, ContextFactory? contexts)
{
    public Task InvokeAsync(Invocation invocation, Stream input, Stream output) =>
        invoke(input, contexts?.Create(invocation), output);
}
