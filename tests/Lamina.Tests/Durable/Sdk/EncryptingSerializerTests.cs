using System.Security.Cryptography;
using Lamina.Durable;

namespace Lamina.Tests.Durable.Sdk;

public sealed class EncryptingSerializerTests
{
    private sealed record Card(string Number, int Cvv);

    private static readonly byte[] Key = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    [Fact]
    public async Task Encrypting_RoundTripThroughService_StoresOnlyCiphertext()
    {
        var service = new InMemoryDurableService();
        var serializer = new EncryptingDurableSerializer(JsonDurableSerializer.Default, Key);
        var runs = 0;
        var handler = DurableHarness.Wrap<object, string>(service, async (_, ctx) =>
        {
            var card = await ctx.StepAsync("card", _ =>
            {
                Interlocked.Increment(ref runs);
                return Task.FromResult(new Card("4111111111111111", 123));
            });
            await ctx.WaitAsync(null, TimeSpan.FromHours(1));
            return card.Number[^4..];
        }, serializer);

        var (output, _) = await handler.RunToCompletionAsync(service);

        Assert.Equal("\"1111\"", output.Result);
        Assert.Equal(1, runs);
        var stored = service.Operations.Single(o => o.Id == OperationIds.Hash("1")).StepDetails!.Result!;
        Assert.StartsWith("lamina-enc:v1:k1:", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("4111", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Encrypting_TamperedSwappedOrPlaintextPayload_IsRefused()
    {
        var serializer = new EncryptingDurableSerializer(JsonDurableSerializer.Default, Key);
        var here = new SerdesContext(OperationIds.Hash("1"), InMemoryDurableService.Arn);
        var payload = (await serializer.SerializeAsync(new Card("4111", 1), here, default))!;
        Assert.Equal(new Card("4111", 1), await serializer.DeserializeAsync<Card>(payload, here, default));

        var blob = Convert.FromBase64String(payload["lamina-enc:v1:k1:".Length..]);
        blob[^20] ^= 1;
        var tampered = "lamina-enc:v1:k1:" + Convert.ToBase64String(blob);
        await Assert.ThrowsAnyAsync<CryptographicException>(() => serializer.DeserializeAsync<Card>(tampered, here, default).AsTask());

        var otherExecution = here with { DurableExecutionArn = InMemoryDurableService.Arn.Replace("run-1", "run-2", StringComparison.Ordinal) };
        await Assert.ThrowsAnyAsync<CryptographicException>(() => serializer.DeserializeAsync<Card>(payload, otherExecution, default).AsTask());

        var otherOperation = here with { OperationId = OperationIds.Hash("2") };
        await Assert.ThrowsAnyAsync<CryptographicException>(() => serializer.DeserializeAsync<Card>(payload, otherOperation, default).AsTask());

        await Assert.ThrowsAnyAsync<CryptographicException>(() => serializer.DeserializeAsync<Card>("{\"number\":\"x\",\"cvv\":1}", here, default).AsTask());

        var wrongKey = new EncryptingDurableSerializer(JsonDurableSerializer.Default, new byte[32]);
        await Assert.ThrowsAnyAsync<CryptographicException>(() => wrongKey.DeserializeAsync<Card>(payload, here, default).AsTask());
    }

    [Fact]
    public async Task Encrypting_RotatedKeys_ReadOldPayloadsWriteWithCurrentKey()
    {
        var here = new SerdesContext("abc", InMemoryDurableService.Arn);
        var old = new EncryptingDurableSerializer(JsonDurableSerializer.Default, Key, "2025");
        var payload = (await old.SerializeAsync(5, here, default))!;
        var rotated = new EncryptingDurableSerializer(JsonDurableSerializer.Default,
            new Dictionary<string, byte[]> { ["2025"] = Key, ["2026"] = [.. Key.Reverse()] }, "2026");

        Assert.Equal(5, await rotated.DeserializeAsync<int>(payload, here, default));
        Assert.StartsWith("lamina-enc:v1:2026:", await rotated.SerializeAsync(6, here, default), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Encrypting_PayloadMovedToAnotherOperation_FailsTheInvocation()
    {
        var service = new InMemoryDurableService();
        var serializer = new EncryptingDurableSerializer(JsonDurableSerializer.Default, Key);
        var handler = DurableHarness.Wrap<object, string>(service, async (_, ctx) =>
        {
            var a = await ctx.StepAsync("a", _ => Task.FromResult("secret-a"));
            var b = await ctx.StepAsync("b", _ => Task.FromResult("secret-b"));
            await ctx.WaitAsync(null, TimeSpan.FromHours(1));
            return a + b;
        }, serializer);
        await handler.InvokeAsync(service);

        // Someone with access to the store copies step a's ciphertext over step b's.
        var state = service.NextInvocation();
        var ops = state.InitialExecutionState!.Operations!.ToList();
        var a = ops.Single(o => o.Id == OperationIds.Hash("1"));
        var bIndex = ops.FindIndex(o => o.Id == OperationIds.Hash("2"));
        ops[bIndex] = ops[bIndex] with { StepDetails = ops[bIndex].StepDetails! with { Result = a.StepDetails!.Result } };
        var forged = state with { InitialExecutionState = new InitialExecutionState { Operations = ops } };

        var error = await Assert.ThrowsAsync<SerdesFailedException>(() => handler.HandleAsync(forged, new TestLambdaContext(), CancellationToken.None));
        Assert.Contains("Deserialization failed for step \"b\"", error.Message, StringComparison.Ordinal);
    }
}
