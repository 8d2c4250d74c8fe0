using System.Diagnostics;
using Lamina.Durable;

namespace Lamina.Tests.Durable.Sdk;

public sealed class SuspensionTests
{
    private sealed record Approval(bool Approved, string By);

    [Fact]
    public async Task Wait_NothingElseRuns_ReturnsPendingAtOnce()
    {
        var service = new InMemoryDurableService();
        var handler = DurableHarness.Wrap<object, string>(service, async (_, ctx) =>
        {
            await ctx.WaitAsync("a day", TimeSpan.FromDays(1));
            return "later";
        });

        var clock = Stopwatch.StartNew();
        var first = await handler.InvokeAsync(service);
        Assert.Equal(InvocationStatus.PENDING, first.Status);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        var start = Assert.Single(service.Updates);
        Assert.Equal((OperationType.Wait, OperationSubType.Wait, "a day", 86_400), (start.Type, start.SubType, start.Name, start.WaitOptions!.WaitSeconds!.Value));

        service.FireAllTimers();
        Assert.Equal("\"later\"", (await handler.InvokeAsync(service)).Result);
    }

    [Fact]
    public async Task Wait_ZeroDuration_IsRejectedBeforeAnyCheckpoint()
    {
        var service = new InMemoryDurableService();
        var handler = DurableHarness.Wrap<object, string>(service, async (_, ctx) =>
        {
            await ctx.WaitAsync(null, TimeSpan.Zero);
            return "x";
        });

        var output = await handler.InvokeAsync(service);
        Assert.Equal(InvocationStatus.FAILED, output.Status);
        Assert.Equal("ArgumentOutOfRangeException", output.Error!.ErrorType);
        Assert.Empty(service.Updates);
    }

    [Fact]
    public async Task Callback_CompletedExternally_ReturnsRawString()
    {
        var service = new InMemoryDurableService();
        string? sentId = null;
        var handler = DurableHarness.Wrap<object, string>(service, async (_, ctx) =>
        {
            var callback = await ctx.CreateCallbackAsync("approval", new CallbackConfig { Timeout = TimeSpan.FromHours(1), HeartbeatTimeout = TimeSpan.FromMinutes(5) });
            await ctx.StepAsync("notify", _ =>
            {
                sentId = callback.CallbackId;
                return Task.CompletedTask;
            });
            return await callback.GetResultAsync();
        });

        Assert.Equal(InvocationStatus.PENDING, (await handler.InvokeAsync(service)).Status);
        var start = service.UpdatesFor("1").Single();
        Assert.Equal((OperationType.Callback, OperationSubType.Callback, "approval"), (start.Type, start.SubType, start.Name));
        Assert.Equal((3600, 300), (start.CallbackOptions!.TimeoutSeconds!.Value, start.CallbackOptions.HeartbeatTimeoutSeconds!.Value));
        Assert.NotNull(sentId);

        service.SucceedCallback(sentId, "{\"approved\":true}");
        var done = await handler.InvokeAsync(service);
        Assert.Equal(InvocationStatus.SUCCEEDED, done.Status);
        Assert.Equal("\"{\\\"approved\\\":true}\"", done.Result);
    }

    [Fact]
    public async Task Callback_Typed_DeserializesJson()
    {
        var service = new InMemoryDurableService();
        var handler = DurableHarness.Wrap<object, string>(service, async (_, ctx) =>
        {
            var callback = await ctx.CreateCallbackAsync<Approval>("approval");
            var approval = await callback.GetResultAsync();
            return approval.Approved ? approval.By : "no";
        });

        await handler.InvokeAsync(service);
        service.SucceedCallback(service.Operations.Single(o => o.Type == OperationType.Callback).CallbackDetails!.CallbackId!, "{\"approved\":true,\"by\":\"ana\"}");
        Assert.Equal("\"ana\"", (await handler.InvokeAsync(service)).Result);
        var options = service.UpdatesFor("1").Single().CallbackOptions!;
        Assert.Equal((null, null), (options.TimeoutSeconds, options.HeartbeatTimeoutSeconds));
    }

    [Fact]
    public async Task Callback_FailedOrTimedOut_ThrowsTheMatchingException()
    {
        foreach (var timedOut in new[] { false, true })
        {
            var service = new InMemoryDurableService();
            var handler = DurableHarness.Wrap<object, string>(service, async (_, ctx) =>
            {
                var callback = await ctx.CreateCallbackAsync(null);
                try
                {
                    return await callback.GetResultAsync();
                }
                catch (CallbackException e)
                {
                    return $"{e.ErrorType}:{e.Message}";
                }
            });

            await handler.InvokeAsync(service);
            var id = service.Operations.Single(o => o.Type == OperationType.Callback).CallbackDetails!.CallbackId!;
            if (timedOut)
            {
                service.TimeOutCallback(id);
            }
            else
            {
                service.FailCallback(id, "Rejected", "manager said no");
            }

            var output = await handler.InvokeAsync(service);
            Assert.Equal(timedOut ? "\"CallbackTimeoutError:Callback timed out\"" : "\"CallbackExternalError:manager said no\"", output.Result);
        }
    }

    [Fact]
    public async Task WaitForCallback_BuildsContextWithUnnamedCallbackAndSubmitterStep()
    {
        var service = new InMemoryDurableService();
        var submitted = new List<string>();
        var handler = DurableHarness.Wrap<object, string>(service, (_, ctx) => ctx.WaitForCallbackAsync("approve", (id, step) =>
        {
            lock (submitted)
            {
                submitted.Add(id);
            }

            return Task.CompletedTask;
        }, new WaitForCallbackConfig { Timeout = TimeSpan.FromMinutes(10) }));

        Assert.Equal(InvocationStatus.PENDING, (await handler.InvokeAsync(service)).Status);
        var contextId = OperationIds.Hash("1");
        var context = service.Operations.Single(o => o.Id == contextId);
        Assert.Equal((OperationType.Context, OperationSubType.WaitForCallback, "approve"), (context.Type, context.SubType, context.Name));
        var callback = service.Operations.Single(o => o.Id == OperationIds.Hash("1-1"));
        Assert.Equal((OperationType.Callback, OperationSubType.Callback, (string?)null, contextId), (callback.Type, callback.SubType, callback.Name, callback.ParentId));
        var submitter = service.Operations.Single(o => o.Id == OperationIds.Hash("1-2"));
        Assert.Equal((OperationType.Step, OperationSubType.Step, (string?)null, contextId, OperationStatus.Succeeded),
            (submitter.Type, submitter.SubType, submitter.Name, submitter.ParentId, submitter.Status));
        Assert.Equal([callback.CallbackDetails!.CallbackId!], submitted);
        Assert.Equal(600, service.UpdatesFor("1-1").Single().CallbackOptions!.TimeoutSeconds);

        service.SucceedCallback(submitted[0], "approved by ana");
        var output = await handler.InvokeAsync(service);
        Assert.Equal("\"approved by ana\"", output.Result);
        Assert.Single(submitted);
        Assert.Equal("\"approved by ana\"", service.Operations.Single(o => o.Id == contextId).ContextDetails!.Result);
    }

    [Fact]
    public async Task WaitForCallback_SubmitterFails_ThrowsCallbackSubmitterException()
    {
        var service = new InMemoryDurableService();
        var handler = DurableHarness.Wrap<object, string>(service, async (_, ctx) =>
        {
            try
            {
                return await ctx.WaitForCallbackAsync("approve", (_, _) => throw new HttpRequestException("mail server down"),
                    new WaitForCallbackConfig { RetryStrategy = RetryPresets.NoRetry });
            }
            catch (CallbackSubmitterException e)
            {
                return e.Message;
            }
        });

        var (output, _) = await handler.RunToCompletionAsync(service);
        Assert.Equal("\"mail server down\"", output.Result);
        Assert.Equal("StepError", service.Operations.Single(o => o.Id == OperationIds.Hash("1")).ContextDetails!.Error!.ErrorType);
    }

    [Fact]
    public async Task Invoke_StartsChainedInvokeAndReturnsTargetResult()
    {
        var service = new InMemoryDurableService();
        var handler = DurableHarness.Wrap<object, int>(service, async (_, ctx) =>
        {
            var total = await ctx.InvokeAsync<Approval, int>("price", "pricing:3", new Approval(true, "ana"), new InvokeConfig { TenantId = "t1" });
            try
            {
                await ctx.InvokeAsync<int, int>(null, "broken:1", 1);
            }
            catch (InvokeException e) when (e.Message == "target crashed" && e.RecordedErrorType == "Runtime.ExitError")
            {
                return total + 1;
            }

            return -1;
        });

        Assert.Equal(InvocationStatus.PENDING, (await handler.InvokeAsync(service)).Status);
        var start = service.UpdatesFor("1").Single();
        Assert.Equal((OperationType.ChainedInvoke, OperationSubType.ChainedInvoke, "price"), (start.Type, start.SubType, start.Name));
        Assert.Equal(("pricing:3", "t1"), (start.ChainedInvokeOptions!.FunctionName, start.ChainedInvokeOptions.TenantId));
        Assert.Equal("{\"approved\":true,\"by\":\"ana\"}", start.Payload);

        service.EndInvoke(OperationIds.Hash("1"), "41");
        Assert.Equal(InvocationStatus.PENDING, (await handler.InvokeAsync(service)).Status);
        service.EndInvoke(OperationIds.Hash("2"), null, new ErrorObject { ErrorType = "Runtime.ExitError", ErrorMessage = "target crashed" });
        Assert.Equal("42", (await handler.InvokeAsync(service)).Result);
    }

    [Fact]
    public async Task Polling_WaitEndsWhileAnotherBranchRuns_FinishesInOneInvocation()
    {
        var service = new InMemoryDurableService();
        var handler = DurableHarness.Wrap<object, string>(service, async (_, ctx) =>
        {
            var batch = await ctx.ParallelAsync<string>("both", [
                async c =>
                {
                    await c.WaitAsync("short", TimeSpan.FromSeconds(1));
                    return "waited";
                },
                c => c.StepAsync("slow", async _ =>
                {
                    await Task.Delay(2500);
                    return "worked";
                }),
            ]);
            return string.Join(",", batch.GetResults());
        });

        var output = await handler.InvokeAsync(service);

        Assert.Equal(InvocationStatus.SUCCEEDED, output.Status);
        Assert.Equal("\"waited,worked\"", output.Result);
        Assert.Contains(service.Checkpoints, c => c.Updates.Count == 0);
    }
}
