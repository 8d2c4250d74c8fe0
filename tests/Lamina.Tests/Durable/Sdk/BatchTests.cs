using Lamina.Durable;

namespace Lamina.Tests.Durable.Sdk;

public sealed class BatchTests
{
    [Fact]
    public async Task Parallel_MinSuccessful_CompletesEarlyAndReportsTheRestAsStarted()
    {
        var service = new InMemoryDurableService();
        var handler = DurableHarness.Wrap<object, string>(service, async (_, ctx) =>
        {
            var result = await ctx.ParallelAsync("race", [
                new ParallelBranch<string>("fast-a", c => c.StepAsync("a", _ => Task.FromResult("a"))),
                new ParallelBranch<string>(null, c => c.StepAsync("b", _ => Task.FromResult("b"))),
                new ParallelBranch<string>("slow", async c =>
                {
                    await c.WaitAsync("forever", TimeSpan.FromDays(300));
                    return "c";
                }),
            ], new ParallelConfig { CompletionConfig = new CompletionConfig { MinSuccessful = 2 } });
            return $"{result.CompletionReason}:{string.Join(",", result.GetResults())}:{result.StartedCount}";
        });

        var output = await handler.InvokeAsync(service);

        Assert.Equal(InvocationStatus.SUCCEEDED, output.Status);
        Assert.Equal("\"MinSuccessfulReached:a,b:1\"", output.Result);
        var names = service.Updates.Where(u => u.SubType == OperationSubType.ParallelBranch && u.Action == "START").Select(u => u.Name).ToList();
        Assert.Equal(["fast-a", "parallel-branch-1", "slow"], names);
        var top = service.UpdatesFor("1").Single(u => u.Action == "SUCCEED");
        Assert.Equal(OperationSubType.Parallel, top.SubType);
        Assert.Contains("\"completionReason\":\"MIN_SUCCESSFUL_REACHED\"", top.Payload, StringComparison.Ordinal);
        Assert.Contains("{\"index\":2,\"status\":\"STARTED\"}", top.Payload, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Map_ToleratedFailures_StopsOnceExceeded()
    {
        var service = new InMemoryDurableService();
        var handler = DurableHarness.Wrap<object, string>(service, async (_, ctx) =>
        {
            var result = await ctx.MapAsync<int, int>("square", [1, 2, 3, 4, 5], (c, item, index) => c.StepAsync("sq", _ =>
                item % 2 == 0 ? throw new InvalidOperationException($"even {item}") : Task.FromResult(item * item),
                new StepConfig { RetryStrategy = RetryPresets.NoRetry }),
                new MapConfig<int> { MaxConcurrency = 1, CompletionConfig = new CompletionConfig { ToleratedFailureCount = 1 } });
            var errors = string.Join("|", result.GetErrors().Select(e => $"{e.ErrorType}:{e.Message}"));
            return $"{result.CompletionReason}:{string.Join(",", result.GetResults())}:{errors}:{result.TotalCount}";
        });

        var output = await handler.InvokeAsync(service);

        // Items run one at a time: 1 ok, 2 fails (tolerated), 3 ok, 4 fails (over tolerance) → stop; 5 never starts.
        Assert.Equal("\"FailureToleranceExceeded:1,9:ChildContextError:even 2|ChildContextError:even 4:4\"", output.Result);
        Assert.Equal(["map-item-0", "map-item-1", "map-item-2", "map-item-3"],
            service.Updates.Where(u => u.SubType == OperationSubType.MapIteration && u.Action == "START").Select(u => u.Name));
    }

    [Fact]
    public async Task Parallel_NoCompletionConfig_FirstFailureStopsAndReplayReturnsSameResult()
    {
        var service = new InMemoryDurableService();
        var runs = 0;
        var handler = DurableHarness.Wrap<object, string>(service, async (_, ctx) =>
        {
            var result = await ctx.ParallelAsync<int>(null, [
                c => c.StepAsync("ok", _ => Task.FromResult(Interlocked.Increment(ref runs))),
                c => c.StepAsync<int>("bad", _ => throw new FormatException("nope"), new StepConfig { RetryStrategy = RetryPresets.NoRetry }),
            ], new ParallelConfig { MaxConcurrency = 1 });
            await ctx.WaitAsync(null, TimeSpan.FromHours(1));
            return $"{result.CompletionReason}:{result.SuccessCount}/{result.FailureCount}:{result.Status}";
        });

        var (output, invocations) = await handler.RunToCompletionAsync(service);

        Assert.Equal(2, invocations);
        Assert.Equal("\"FailureToleranceExceeded:1/1:Failed\"", output.Result);
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task Map_ResultOver256KB_ReplaysItemsFromTheirRecords()
    {
        var service = new InMemoryDurableService();
        var runs = 0;
        var handler = DurableHarness.Wrap<object, int>(service, async (_, ctx) =>
        {
            var result = await ctx.MapAsync<int, string>("big", [1, 2, 3], (c, item, _) => c.StepAsync("make", _ =>
            {
                Interlocked.Increment(ref runs);
                return Task.FromResult(new string((char)('a' + item), 100 * 1024));
            }));
            await ctx.WaitAsync(null, TimeSpan.FromHours(1));
            return result.GetResults().Sum(s => s.Length);
        });

        Assert.Equal(InvocationStatus.PENDING, (await handler.InvokeAsync(service)).Status);
        var top = service.UpdatesFor("1").Single(u => u.Action == "SUCCEED");
        Assert.True(top.ContextOptions!.ReplayChildren);
        Assert.Contains("\"type\":\"MapResult\"", top.Payload, StringComparison.Ordinal);
        Assert.Contains("\"itemStatuses\":\"SSS\"", top.Payload, StringComparison.Ordinal);

        service.FireAllTimers();
        var output = await handler.InvokeAsync(service);
        Assert.Equal((3 * 100 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture), output.Result);
        Assert.Equal(3, runs);
    }
}
