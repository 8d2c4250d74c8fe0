using Lamina.Durable;

namespace Lamina.Tests.Durable.Sdk;

public sealed class ContextTests
{
    [Fact]
    public async Task ChildContext_ResultOver256KB_RecordsReplayChildrenAndRebuildsFromChildren()
    {
        var service = new InMemoryDurableService();
        var innerRuns = 0;
        var big = new string('x', 300 * 1024);
        var handler = DurableHarness.Wrap<object, int>(service, async (_, ctx) =>
        {
            var text = await ctx.RunInChildContextAsync("build", child => child.StepAsync("chunk", _ =>
            {
                Interlocked.Increment(ref innerRuns);
                return Task.FromResult(big);
            }));
            await ctx.WaitAsync("pause", TimeSpan.FromHours(1));
            return text.Length;
        });

        Assert.Equal(InvocationStatus.PENDING, (await handler.InvokeAsync(service)).Status);
        var succeed = service.UpdatesFor("1").Single(u => u.Action == OperationAction.Succeed);
        Assert.Equal("", succeed.Payload);
        Assert.True(succeed.ContextOptions!.ReplayChildren);
        Assert.Equal(OperationIds.Hash("1"), service.UpdatesFor("1-1")[0].ParentId);

        service.FireAllTimers();
        var output = await handler.InvokeAsync(service);
        Assert.Equal((300 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture), output.Result);
        Assert.Equal(1, innerRuns);
    }

    [Fact]
    public async Task ChildContext_Completed_IsNotRerunAndChildrenArePruned()
    {
        var service = new InMemoryDurableService();
        var runs = 0;
        var handler = DurableHarness.Wrap<object, string>(service, async (_, ctx) =>
        {
            var value = await ctx.RunInChildContextAsync("child", async child =>
            {
                Interlocked.Increment(ref runs);
                return await child.StepAsync("inner", _ => Task.FromResult("v"));
            });
            await ctx.WaitAsync(null, TimeSpan.FromHours(1));
            return value;
        });

        await handler.InvokeAsync(service);
        service.FireAllTimers();
        var next = service.NextInvocation();
        Assert.DoesNotContain(next.InitialExecutionState!.Operations!, o => o.Id == OperationIds.Hash("1-1"));
        var output = await handler.HandleAsync(service.NextInvocation(), new TestLambdaContext(), CancellationToken.None);
        Assert.Equal("\"v\"", output.Result);
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task ChildContext_Failure_IsRecordedAndReplayedAsChildContextException()
    {
        var service = new InMemoryDurableService();
        var handler = DurableHarness.Wrap<object, string>(service, async (_, ctx) =>
        {
            string outcome;
            try
            {
                await ctx.RunInChildContextAsync<int>("child", _ => throw new InvalidDataException("corrupt"));
                outcome = "no";
            }
            catch (ChildContextException e)
            {
                outcome = $"{e.Message}/{e.RecordedErrorType}";
            }

            await ctx.WaitAsync(null, TimeSpan.FromHours(1));
            return outcome;
        });

        var (output, invocations) = await handler.RunToCompletionAsync(service);
        Assert.Equal(2, invocations);
        Assert.Equal("\"corrupt/StepError\"", output.Result);
        Assert.Equal("InvalidDataException", service.UpdatesFor("1").Single(u => u.Action == OperationAction.Fail).Error!.ErrorType);
    }

    [Fact]
    public async Task ParentContextUsedInsideChild_FailsTheExecution()
    {
        var service = new InMemoryDurableService();
        var handler = DurableHarness.Wrap<object, int>(service, (_, ctx) =>
            ctx.RunInChildContextAsync("child", _ => ctx.StepAsync("wrong", _ => Task.FromResult(1))));

        var output = await handler.InvokeAsync(service);

        Assert.Equal(InvocationStatus.FAILED, output.Status);
        Assert.Contains("parent or sibling context", output.Error!.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitForCondition_RecordsStateOnEachPollUntilDone()
    {
        var service = new InMemoryDurableService();
        var checks = new List<int>();
        var handler = DurableHarness.Wrap<object, int>(service, (_, ctx) => ctx.WaitForConditionAsync<int>("ready", (state, step) =>
        {
            lock (checks)
            {
                checks.Add(state);
            }

            return Task.FromResult(state + 1);
        }, new WaitForConditionConfig<int>
        {
            InitialState = 0,
            WaitStrategy = RetryPresets.Polling(new WaitStrategyOptions<int> { ShouldContinuePolling = s => s < 3, Jitter = JitterStrategy.None }),
        }));

        var (output, invocations) = await handler.RunToCompletionAsync(service);

        Assert.Equal("3", output.Result);
        Assert.Equal(3, invocations);
        Assert.Equal([0, 1, 2], checks);
        var updates = service.UpdatesFor("1");
        Assert.All(updates, u => Assert.Equal((OperationType.Step, OperationSubType.WaitForCondition), (u.Type, u.SubType)));
        Assert.Equal(["START", "RETRY", "START", "RETRY", "START", "SUCCEED"], updates.Select(u => u.Action));
        Assert.Equal(["1", "2", "3"], updates.Where(u => u.Action is "RETRY" or "SUCCEED").Select(u => u.Payload));
        Assert.Equal([5, 8], updates.Where(u => u.Action == "RETRY").Select(u => u.StepOptions!.NextAttemptDelaySeconds!.Value));
        Assert.All(updates.Where(u => u.Action == "RETRY"), u => Assert.Null(u.Error));
    }

    [Fact]
    public async Task NonDeterminism_DifferentNameAtSamePosition_FailsWithClearError()
    {
        var service = new InMemoryDurableService();
        var version = 1;
        var handler = DurableHarness.Wrap<object, string>(service, async (_, ctx) =>
        {
            await ctx.StepAsync(version == 1 ? "charge" : "refund", _ => Task.FromResult(1));
            await ctx.WaitAsync(null, TimeSpan.FromHours(1));
            return "ok";
        });

        await handler.InvokeAsync(service);
        version = 2;
        service.FireAllTimers();
        var output = await handler.InvokeAsync(service);

        Assert.Equal(InvocationStatus.FAILED, output.Status);
        Assert.Equal("NonDeterministicExecutionError", output.Error!.ErrorType);
        Assert.Contains("Expected name \"charge\", but got \"refund\"", output.Error.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonDeterminism_DifferentOperationType_FailsWithClearError()
    {
        var service = new InMemoryDurableService();
        var version = 1;
        var handler = DurableHarness.Wrap<object, string>(service, async (_, ctx) =>
        {
            if (version == 1)
            {
                await ctx.WaitAsync("x", TimeSpan.FromHours(1));
            }
            else
            {
                await ctx.StepAsync("x", _ => Task.FromResult(1));
            }

            return "ok";
        });

        await handler.InvokeAsync(service);
        version = 2;
        var output = await handler.InvokeAsync(service);

        Assert.Equal("NonDeterministicExecutionError", output.Error!.ErrorType);
        Assert.Contains("Expected type \"WAIT\", but got \"STEP\"", output.Error.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pagination_LongHistory_FetchesEveryPageBeforeReplaying()
    {
        var service = new InMemoryDurableService();
        var runs = 0;
        var handler = DurableHarness.Wrap<object, int>(service, async (_, ctx) =>
        {
            var sum = 0;
            for (var i = 0; i < 7; i++)
            {
                var value = i;
                sum += await ctx.StepAsync($"s{i}", _ =>
                {
                    Interlocked.Increment(ref runs);
                    return Task.FromResult(value);
                });
            }

            await ctx.WaitAsync(null, TimeSpan.FromHours(1));
            return sum;
        });

        await handler.InvokeAsync(service);
        service.FireAllTimers();
        service.PageSize = 3;
        var output = await handler.InvokeAsync(service);

        Assert.Equal("21", output.Result);
        Assert.Equal(7, runs);
        var page = Assert.Single(service.StateRequests);
        Assert.Equal(("3", 1000), (page.Marker, page.MaxItems));
    }
}
