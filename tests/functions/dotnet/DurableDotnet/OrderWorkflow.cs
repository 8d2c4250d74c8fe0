using Amazon.Lambda.Core;
using Lamina.Durable;

namespace DurableDotnet;

/// <summary>
/// Handler <c>DurableDotnet::DurableDotnet.OrderWorkflow::HandleAsync</c>: validate (a step that fails once and is
/// retried), reserve every item in parallel (a map), wait for an approval callback when the amount is large, pause,
/// then charge at most once.
/// </summary>
public static class OrderWorkflow
{
    private static readonly DurableHandler<OrderRequest, OrderResult> Workflow = DurableFunction.Wrap<OrderRequest, OrderResult>(RunAsync);

    public static Task<Stream> HandleAsync(Stream input, ILambdaContext context) => Workflow.HandleAsync(input, context);

    internal static async Task<OrderResult> RunAsync(OrderRequest order, IDurableContext ctx)
    {
        ctx.Logger.LogInformation($"processing order {order.OrderId}");

        var attempts = await ctx.StepAsync("validate", step =>
        {
            if (step.Attempt == 1)
            {
                throw new InvalidOperationException("inventory service warming up");
            }

            return Task.FromResult(step.Attempt);
        }, new StepConfig
        {
            RetryStrategy = RetryPresets.Exponential(new RetryStrategyOptions { MaxAttempts = 3, InitialDelay = TimeSpan.FromSeconds(1), Jitter = JitterStrategy.None }),
        });

        var reservations = await ctx.MapAsync<string, Reservation>("reserve", order.Items, (item, name, index) =>
            item.StepAsync("reserve-item", step => Task.FromResult(new Reservation(name, $"{order.OrderId}-{index}-{step.OperationId}"))));
        reservations.ThrowIfError();

        string? approvedBy = null;
        if (order.Amount >= 1000)
        {
            approvedBy = await ctx.WaitForCallbackAsync("approval", (callbackId, step) =>
            {
                step.Logger.LogInformation($"approval needed for {order.OrderId}: callback id {callbackId}");
                return Task.CompletedTask;
            }, new WaitForCallbackConfig { Timeout = TimeSpan.FromHours(1) });
        }

        await ctx.WaitAsync("cool-off", TimeSpan.FromSeconds(2));

        var status = await ctx.StepAsync("charge", _ => Task.FromResult("CHARGED"),
            new StepConfig { Semantics = StepSemantics.AtMostOncePerRetry });

        return new OrderResult(order.OrderId, status, [.. reservations.GetResults().Select(r => r.ReservationId)], approvedBy, attempts);
    }
}
