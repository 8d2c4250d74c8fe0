using Lamina.Durable;

namespace Lamina.Tests.Durable.Sdk;

/// <summary>Runs a wrapped handler against an <see cref="InMemoryDurableService"/> the way the service would invoke it.</summary>
public static class DurableHarness
{
    public static DurableHandler<TIn, TOut> Wrap<TIn, TOut>(InMemoryDurableService service, Func<TIn, IDurableContext, Task<TOut>> handler,
        IDurableSerializer? serializer = null) =>
        DurableFunction.Wrap(handler, new DurableFunctionOptions { Client = service, Serializer = serializer });

    /// <summary>One invocation with a fresh event, bounded so a hung SDK fails the test instead of blocking it.</summary>
    public static async Task<DurableExecutionInvocationOutput> InvokeAsync<TIn, TOut>(this DurableHandler<TIn, TOut> handler, InMemoryDurableService service,
        TestLambdaContext? context = null)
    {
        var run = handler.HandleAsync(service.NextInvocation(), context ?? new TestLambdaContext(), CancellationToken.None);
        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(finished == run, "the invocation did not finish within 30 s");
        var output = await run;
        Assert.Empty(service.ValidationErrors);
        return output;
    }

    /// <summary>Invokes, firing all timers between invocations, until the execution leaves PENDING (at most <paramref name="max"/> times).</summary>
    public static async Task<(DurableExecutionInvocationOutput Output, int Invocations)> RunToCompletionAsync<TIn, TOut>(this DurableHandler<TIn, TOut> handler,
        InMemoryDurableService service, int max = 20)
    {
        for (var i = 1; i <= max; i++)
        {
            var output = await handler.InvokeAsync(service);
            if (output.Status != InvocationStatus.PENDING)
            {
                return (output, i);
            }

            service.FireAllTimers();
        }

        throw new InvalidOperationException($"still PENDING after {max} invocations");
    }

    public static List<OperationUpdate> UpdatesFor(this InMemoryDurableService service, string stepId) =>
        [.. service.Updates.Where(u => u.Id == OperationIds.Hash(stepId))];
}
