using Amazon.Lambda.Core;
using Lamina.Durable;

namespace DurableDotnet;

/// <summary>Small workflows, one durable feature each, for the e2e tests.</summary>
public static class Handlers
{
    public sealed record Input(int Seconds = 1, string? Target = null, int Value = 0);

    private static readonly DurableHandler<Input, string> WaitHandler = DurableFunction.Wrap<Input, string>(async (input, ctx) =>
    {
        var before = await ctx.StepAsync("before", () => "before");
        await ctx.WaitAsync("pause", TimeSpan.FromSeconds(input.Seconds));
        var after = await ctx.StepAsync("after", () => "after");
        return $"{before}-{after}";
    });

    private static readonly DurableHandler<Input, string> CallbackHandler = DurableFunction.Wrap<Input, string>((_, ctx) =>
        ctx.WaitForCallbackAsync("external", (id, step) =>
        {
            step.Logger.LogInformation($"callback id {id}");
            return Task.CompletedTask;
        }));

    private static readonly DurableHandler<Input, int> InvokeHandler = DurableFunction.Wrap<Input, int>((input, ctx) =>
        ctx.InvokeAsync<Input, int>("call", input.Target ?? throw new ArgumentException("Target is required"), input with { Target = null }));

    private static readonly DurableHandler<Input, int> TwiceHandler = DurableFunction.Wrap<Input, int>((input, ctx) =>
        ctx.StepAsync("double", () => input.Value * 2));

    public static Task<Stream> Wait(Stream input, ILambdaContext context) => WaitHandler.HandleAsync(input, context);

    public static Task<Stream> Callback(Stream input, ILambdaContext context) => CallbackHandler.HandleAsync(input, context);

    public static Task<Stream> Invoke(Stream input, ILambdaContext context) => InvokeHandler.HandleAsync(input, context);

    public static Task<Stream> Twice(Stream input, ILambdaContext context) => TwiceHandler.HandleAsync(input, context);
}
