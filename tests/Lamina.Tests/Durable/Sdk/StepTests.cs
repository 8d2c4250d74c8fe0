using System.Text.RegularExpressions;
using Lamina.Durable;

namespace Lamina.Tests.Durable.Sdk;

public sealed class StepTests
{
    private sealed record Order(int Id);

    [Fact]
    public async Task Step_Replay_ReturnsRecordedResultsWithoutRunningAgain()
    {
        var service = new InMemoryDurableService("{\"id\":7}");
        var runs = 0;
        var context = new TestLambdaContext();
        var handler = DurableHarness.Wrap<Order, string>(service, async (order, ctx) =>
        {
            ctx.Logger.LogInformation("starting " + order.Id);
            var a = await ctx.StepAsync("a", _ => Task.FromResult(Interlocked.Increment(ref runs) * 10));
            var b = await ctx.StepAsync("b", async _ =>
            {
                Interlocked.Increment(ref runs);
                await Task.Yield();
                return new Order(a + order.Id);
            });
            await ctx.WaitAsync("pause", TimeSpan.FromSeconds(30));
            ctx.Logger.LogInformation("after the wait");
            return $"{a}:{b.Id}";
        });

        var first = await handler.InvokeAsync(service, context);
        Assert.Equal(InvocationStatus.PENDING, first.Status);
        Assert.Equal(2, runs);
        Assert.Equal(["START", "SUCCEED"], service.UpdatesFor("1").Select(u => u.Action));
        Assert.Equal("10", service.UpdatesFor("1")[1].Payload);
        Assert.Equal("{\"id\":17}", service.UpdatesFor("2")[1].Payload);
        Assert.Equal(30, service.UpdatesFor("3").Single().WaitOptions!.WaitSeconds);

        service.FireAllTimers();
        var second = await handler.InvokeAsync(service, context);
        Assert.Equal(InvocationStatus.SUCCEEDED, second.Status);
        Assert.Equal("\"10:17\"", second.Result);
        Assert.Equal(2, runs);

        // The replay-aware logger wrote each line once across both invocations.
        Assert.Single(context.Lines.All, l => l.Contains("starting 7", StringComparison.Ordinal));
        Assert.Single(context.Lines.All, l => l.Contains("after the wait", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Step_FailsThenSucceeds_RetriesWithStrategyDelays()
    {
        var service = new InMemoryDurableService();
        var attempts = new List<int>();
        var strategy = RetryPresets.Exponential(new RetryStrategyOptions
        {
            MaxAttempts = 4,
            InitialDelay = TimeSpan.FromSeconds(2),
            BackoffRate = 3,
            Jitter = JitterStrategy.None,
        });
        var handler = DurableHarness.Wrap<object, int>(service, (_, ctx) => ctx.StepAsync("flaky", s =>
        {
            lock (attempts)
            {
                attempts.Add(s.Attempt);
            }

            return s.Attempt < 3 ? throw new InvalidOperationException($"try {s.Attempt}") : Task.FromResult(99);
        }, new StepConfig { RetryStrategy = strategy }));

        var (output, invocations) = await handler.RunToCompletionAsync(service);

        Assert.Equal(InvocationStatus.SUCCEEDED, output.Status);
        Assert.Equal("99", output.Result);
        Assert.Equal(3, invocations);
        Assert.Equal([1, 2, 3], attempts);
        var updates = service.UpdatesFor("1");
        Assert.Equal(["START", "RETRY", "START", "RETRY", "START", "SUCCEED"], updates.Select(u => u.Action));
        Assert.Equal([2, 6], updates.Where(u => u.Action == "RETRY").Select(u => u.StepOptions!.NextAttemptDelaySeconds!.Value));
        Assert.Equal("InvalidOperationException", updates[1].Error!.ErrorType);
        Assert.Equal("try 1", updates[1].Error!.ErrorMessage);
        Assert.Equal(3, service.Operations.Single(o => o.Id == OperationIds.Hash("1")).StepDetails!.Attempt);
    }

    [Fact]
    public async Task Step_RetriesExhausted_ThrowsStepExceptionTheHandlerCanCatch()
    {
        var service = new InMemoryDurableService();
        var handler = DurableHarness.Wrap<object, string>(service, async (_, ctx) =>
        {
            try
            {
                await ctx.StepAsync<int>("always", _ => throw new TimeoutException("down"),
                    new StepConfig { RetryStrategy = RetryPresets.Exponential(new RetryStrategyOptions { MaxAttempts = 2, Jitter = JitterStrategy.None }) });
                return "unreachable";
            }
            catch (StepException e)
            {
                return $"{e.ErrorType}/{e.RecordedErrorType}/{e.Message}";
            }
        });

        var (output, invocations) = await handler.RunToCompletionAsync(service);

        Assert.Equal(2, invocations);
        Assert.Equal("\"StepError/TimeoutException/down\"", output.Result);
        Assert.Equal(["START", "RETRY", "START", "FAIL"], service.UpdatesFor("1").Select(u => u.Action));
        Assert.Equal(5, service.UpdatesFor("1")[1].StepOptions!.NextAttemptDelaySeconds);
    }

    [Fact]
    public async Task Step_UncaughtFailure_FailsTheExecution()
    {
        var service = new InMemoryDurableService();
        var handler = DurableHarness.Wrap<object, int>(service, (_, ctx) =>
            ctx.StepAsync<int>("bad", _ => throw new ArgumentException("bad input"), new StepConfig { RetryStrategy = RetryPresets.NoRetry }));

        var output = await handler.InvokeAsync(service);

        Assert.Equal(InvocationStatus.FAILED, output.Status);
        Assert.Equal("StepError", output.Error!.ErrorType);
        Assert.Equal("bad input", output.Error.ErrorMessage);
        Assert.Null(output.Error.StackTrace);
    }

    [Fact]
    public async Task StepExtensions_TaskReturningLambda_IsAStepWithoutResult()
    {
        var service = new InMemoryDurableService();
        var sent = 0;
        var handler = DurableHarness.Wrap<object, int>(service, async (_, ctx) =>
        {
            await ctx.StepAsync("send", async () =>
            {
                await Task.Yield();
                Interlocked.Increment(ref sent);
            });
            return await ctx.StepAsync("sync", () => 5);
        });

        Assert.Equal("5", (await handler.InvokeAsync(service)).Result);
        Assert.Equal(1, sent);
        Assert.Null(service.UpdatesFor("1").Single(u => u.Action == "SUCCEED").Payload);
    }

    [Fact]
    public void RetryPresets_Default_SixAttemptsFiveSecondsDoublingToSixtyFullJitterWholeSeconds()
    {
        var error = new InvalidOperationException("x");
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            var cap = Math.Min(5 * Math.Pow(2, attempt - 1), 60);
            for (var i = 0; i < 200; i++)
            {
                var decision = RetryPresets.Default(error, attempt);
                Assert.True(decision.ShouldRetry);
                Assert.Equal(Math.Floor(decision.Delay.TotalSeconds), decision.Delay.TotalSeconds);
                Assert.InRange(decision.Delay.TotalSeconds, 1, cap);
            }
        }

        Assert.False(RetryPresets.Default(error, 6).ShouldRetry);
        Assert.Equal(TimeSpan.FromSeconds(3), RetryPresets.Linear(error, 3).Delay);
        Assert.False(RetryPresets.NoRetry(error, 1).ShouldRetry);
    }

    [Fact]
    public void RetryPresets_Filters_RetryOnlyMatchingErrors()
    {
        var byMessage = RetryPresets.Exponential(new RetryStrategyOptions { RetryableErrors = [new Regex("throttl")] });
        Assert.True(byMessage(new InvalidOperationException("throttled"), 1).ShouldRetry);
        Assert.False(byMessage(new InvalidOperationException("denied"), 1).ShouldRetry);

        var byType = RetryPresets.Exponential(new RetryStrategyOptions { RetryableErrorTypes = [typeof(TimeoutException)] });
        Assert.True(byType(new TimeoutException(), 1).ShouldRetry);
        Assert.False(byType(new InvalidOperationException(), 1).ShouldRetry);

        var byPredicate = RetryPresets.Exponential(new RetryStrategyOptions { IsRetryable = e => e is IOException });
        Assert.True(byPredicate(new IOException(), 1).ShouldRetry);
        Assert.False(byPredicate(new InvalidOperationException(), 1).ShouldRetry);
    }
}
