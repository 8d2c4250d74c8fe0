using Lamina.Durable;

namespace Lamina.Tests.Durable.Sdk;

public sealed class AtMostOnceTests
{
    /// <summary>
    /// Crashes an invocation inside a step: the step blocks after it started, the test waits until its START (or its
    /// first update) is recorded, then cancels the invocation as a Lambda timeout would.
    /// </summary>
    private static async Task CrashInsideStepAsync(DurableHandler<object, string> handler, InMemoryDurableService service, TaskCompletionSource entered)
    {
        using var cancel = new CancellationTokenSource();
        var run = handler.HandleAsync(service.NextInvocation(), new TestLambdaContext(), cancel.Token);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(100);
        await cancel.CancelAsync();
        Assert.Equal(InvocationStatus.PENDING, (await run.WaitAsync(TimeSpan.FromSeconds(10))).Status);
    }

    [Fact]
    public async Task AtMostOnce_InterruptedStep_IsRetriedWithoutRunningTwiceInOneAttempt()
    {
        var service = new InMemoryDurableService();
        var runs = 0;
        var entered = new TaskCompletionSource();
        var handler = DurableHarness.Wrap<object, string>(service, (_, ctx) => ctx.StepAsync("charge", async s =>
        {
            if (Interlocked.Increment(ref runs) == 1)
            {
                entered.TrySetResult();
                await Task.Delay(Timeout.Infinite, CancellationToken.None);
            }

            return $"charged on attempt {s.Attempt}";
        }, new StepConfig
        {
            Semantics = StepSemantics.AtMostOncePerRetry,
            RetryStrategy = RetryPresets.Exponential(new RetryStrategyOptions { MaxAttempts = 3, Jitter = JitterStrategy.None }),
        }));

        await CrashInsideStepAsync(handler, service, entered);
        Assert.Equal(["START"], service.UpdatesFor("1").Select(u => u.Action));
        Assert.Single(service.Checkpoints, c => c.Updates.Count > 0);

        // Replay finds the step STARTED: it is not run, but retried as StepInterruptedError.
        var second = await handler.InvokeAsync(service);
        Assert.Equal(InvocationStatus.PENDING, second.Status);
        Assert.Equal(1, runs);
        var retry = service.UpdatesFor("1")[1];
        Assert.Equal("RETRY", retry.Action);
        Assert.Equal("StepInterruptedError", retry.Error!.ErrorType);

        service.FireAllTimers();
        var third = await handler.InvokeAsync(service);
        Assert.Equal(InvocationStatus.SUCCEEDED, third.Status);
        Assert.Equal("\"charged on attempt 2\"", third.Result);
        Assert.Equal(2, runs);
        Assert.Equal(["START", "RETRY", "START", "SUCCEED"], service.UpdatesFor("1").Select(u => u.Action));
    }

    [Fact]
    public async Task AtMostOnce_InterruptedStepWithoutRetry_FailsWithStepInterrupted()
    {
        var service = new InMemoryDurableService();
        var runs = 0;
        var entered = new TaskCompletionSource();
        var handler = DurableHarness.Wrap<object, string>(service, async (_, ctx) =>
        {
            try
            {
                return await ctx.StepAsync("transfer", async _ =>
                {
                    Interlocked.Increment(ref runs);
                    entered.TrySetResult();
                    await Task.Delay(Timeout.Infinite, CancellationToken.None);
                    return "never";
                }, new StepConfig { Semantics = StepSemantics.AtMostOncePerRetry, RetryStrategy = RetryPresets.NoRetry });
            }
            catch (StepException e)
            {
                return e.RecordedErrorType!;
            }
        });

        await CrashInsideStepAsync(handler, service, entered);
        var output = await handler.InvokeAsync(service);

        Assert.Equal(1, runs);
        Assert.Equal("\"StepInterruptedError\"", output.Result);
        Assert.Equal(["START", "FAIL"], service.UpdatesFor("1").Select(u => u.Action));
    }

    [Fact]
    public async Task AtLeastOnce_StepInterruptedByCrash_RunsAgainWithoutSecondStart()
    {
        var service = new InMemoryDurableService();
        var runs = 0;
        var entered = new TaskCompletionSource();
        var handler = DurableHarness.Wrap<object, string>(service, (_, ctx) => ctx.StepAsync("send", async _ =>
        {
            if (Interlocked.Increment(ref runs) == 1)
            {
                entered.TrySetResult();
                await Task.Delay(Timeout.Infinite, CancellationToken.None);
            }

            return "sent";
        }));

        await CrashInsideStepAsync(handler, service, entered);
        Assert.Equal(["START"], service.UpdatesFor("1").Select(u => u.Action));

        var output = await handler.InvokeAsync(service);
        Assert.Equal("\"sent\"", output.Result);
        Assert.Equal(2, runs);
        Assert.Equal(["START", "SUCCEED"], service.UpdatesFor("1").Select(u => u.Action));
    }
}
