using Lamina.Durable;

namespace Lamina.Tests.Durable.Sdk;

public sealed class CheckpointFailureTests
{
    private static DurableHandler<object, int> TwoSteps(InMemoryDurableService service) => DurableHarness.Wrap<object, int>(service, async (_, ctx) =>
    {
        var a = await ctx.StepAsync("a", _ => Task.FromResult(1));
        return a + await ctx.StepAsync("b", _ => Task.FromResult(2));
    });

    [Fact]
    public async Task StaleToken_HandlerThrowsSoTheInvocationIsRetried()
    {
        var service = new InMemoryDurableService();
        var handler = DurableHarness.Wrap<object, int>(service, async (_, ctx) =>
        {
            var a = await ctx.StepAsync("a", _ => Task.FromResult(1));
            service.InvalidateToken();
            return a + await ctx.StepAsync("b", _ => Task.FromResult(2));
        });

        var error = await Assert.ThrowsAsync<CheckpointUnrecoverableInvocationException>(() =>
            handler.HandleAsync(service.NextInvocation(), new TestLambdaContext(), CancellationToken.None));
        Assert.Contains("Invalid Checkpoint Token", error.Message, StringComparison.Ordinal);
        Assert.False(error.IsExecutionScoped);

        // The retried invocation gets a fresh token and finishes; step a is not run again.
        var retried = await TwoSteps(service).InvokeAsync(service);
        Assert.Equal("3", retried.Result);
        Assert.Equal(["START", "SUCCEED"], service.UpdatesFor("1").Select(u => u.Action));
    }

    [Fact]
    public async Task OtherClientError_FailsTheExecution()
    {
        var service = new InMemoryDurableService();
        service.Faults.Enqueue(new DurableExecutionClientException(400, "InvalidParameterValueException", "Payload too large"));

        var output = await TwoSteps(service).InvokeAsync(service);

        Assert.Equal(InvocationStatus.FAILED, output.Status);
        Assert.Equal("CheckpointUnrecoverableExecutionError", output.Error!.ErrorType);
        Assert.Equal("[Unrecoverable Execution] Checkpoint failed: Payload too large", output.Error.ErrorMessage);
    }

    [Theory]
    [InlineData(500, "ServiceException")]
    [InlineData(429, "TooManyRequestsException")]
    public async Task ServerErrorOrThrottle_HandlerThrows(int status, string code)
    {
        var service = new InMemoryDurableService();
        service.Faults.Enqueue(new DurableExecutionClientException(status, code, "try later"));

        await Assert.ThrowsAsync<CheckpointUnrecoverableInvocationException>(() =>
            TwoSteps(service).HandleAsync(service.NextInvocation(), new TestLambdaContext(), CancellationToken.None));
    }

    [Fact]
    public async Task NetworkFailure_HandlerThrows()
    {
        var service = new InMemoryDurableService();
        service.Faults.Enqueue(new HttpRequestException("connection refused"));

        await Assert.ThrowsAsync<CheckpointUnrecoverableInvocationException>(() =>
            TwoSteps(service).HandleAsync(service.NextInvocation(), new TestLambdaContext(), CancellationToken.None));
    }

    [Fact]
    public async Task KmsError_FailsTheExecution()
    {
        var service = new InMemoryDurableService();
        service.Faults.Enqueue(new DurableExecutionClientException(502, "KMSDisabledException", "key disabled"));

        var output = await TwoSteps(service).InvokeAsync(service);

        Assert.Equal("CheckpointUnrecoverableExecutionError", output.Error!.ErrorType);
    }

    [Fact]
    public async Task MissingEnvelopeFields_ThrowsTheOfficialMessage()
    {
        var service = new InMemoryDurableService();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            TwoSteps(service).HandleAsync(new DurableExecutionInvocationInput { DurableExecutionArn = InMemoryDurableService.Arn }, null, CancellationToken.None));
        Assert.StartsWith("Unexpected payload provided to start the durable execution.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResultOver6MB_IsCheckpointedAsExecutionSucceed()
    {
        var service = new InMemoryDurableService();
        var handler = DurableHarness.Wrap<object, string>(service, (_, _) => Task.FromResult(new string('r', 6 * 1024 * 1024)));

        var output = await handler.InvokeAsync(service);

        Assert.Equal(InvocationStatus.SUCCEEDED, output.Status);
        Assert.Equal("", output.Result);
        var update = Assert.Single(service.Updates);
        Assert.Equal((OperationType.Execution, OperationAction.Succeed), (update.Type, update.Action));
        Assert.Equal(16, update.Id.Length);
        Assert.Equal(6 * 1024 * 1024 + 2, update.Payload!.Length);
        Assert.Equal(OperationStatus.Succeeded, service.ExecutionStatus);
    }

    [Fact]
    public async Task CheckpointBatches_RespectTheItemLimit()
    {
        var service = new InMemoryDurableService();
        var handler = DurableHarness.Wrap<object, int>(service, async (_, ctx) =>
        {
            var batch = await ctx.MapAsync<int, int>(null, [.. Enumerable.Range(0, 300)], (c, item, _) => c.StepAsync(null, _ => Task.FromResult(item)));
            return batch.SuccessCount;
        });

        var output = await handler.InvokeAsync(service);

        Assert.Equal("300", output.Result);
        Assert.All(service.Checkpoints, c => Assert.InRange(c.Updates.Count, 0, 250));
        Assert.Equal(service.Checkpoints.Count, service.Checkpoints.Select(c => c.ClientToken).Distinct().Count());
    }
}
