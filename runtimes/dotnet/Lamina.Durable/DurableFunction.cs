namespace Lamina.Durable;

/// <summary>
/// Turns a workflow method into a durable Lambda handler.
/// <code>
/// private static readonly DurableHandler&lt;Order, Receipt&gt; Workflow = DurableFunction.Wrap&lt;Order, Receipt&gt;(RunAsync);
/// public Task&lt;Stream&gt; Handler(Stream input, ILambdaContext context) => Workflow.HandleAsync(input, context);
/// </code>
/// </summary>
public static class DurableFunction
{
    public static DurableHandler<TIn, TOut> Wrap<TIn, TOut>(Func<TIn, IDurableContext, Task<TOut>> handler, DurableFunctionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return new DurableHandler<TIn, TOut>(handler, options ?? new DurableFunctionOptions(), hasResult: true);
    }

    /// <summary>A workflow without a result: the execution succeeds with no <c>Result</c>.</summary>
    public static DurableHandler<TIn, object?> Wrap<TIn>(Func<TIn, IDurableContext, Task> handler, DurableFunctionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return new DurableHandler<TIn, object?>(async (input, context) =>
        {
            await handler(input, context);
            return null;
        }, options ?? new DurableFunctionOptions(), hasResult: false);
    }
}
