using System.Text;
using System.Text.Json;
using Lamina.Durable;

namespace Lamina.Tests.Durable.Sdk;

public sealed class EnvelopeTests
{
    private sealed record Greeting(string Name);

    private static readonly JsonSerializerOptions Wire = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    [Fact]
    public async Task StreamHandler_ReadsTheRawEventWithIsoTimestamps_WritesTheOutputShape()
    {
        var service = new InMemoryDurableService("{\"name\":\"ana\"}");
        var handler = DurableHarness.Wrap<Greeting, string>(service, async (input, ctx) =>
        {
            await ctx.WaitAsync("w", TimeSpan.FromHours(1));
            return $"hi {input.Name}";
        });
        var token = service.NextInvocation().CheckpointToken;

        // What the service sends: ISO-8601 timestamps, the first operation is the EXECUTION with the user's input.
        var envelope = $$$"""
            {"DurableExecutionArn":"{{{InMemoryDurableService.Arn}}}","CheckpointToken":"{{{token}}}","UpdatedOperationIds":[],
             "InitialExecutionState":{"Operations":[
               {"Id":"exec0000","Type":"EXECUTION","Status":"STARTED","StartTimestamp":"2026-07-13T22:11:27.127Z",
                "ExecutionDetails":{"InputPayload":"{\"name\":\"ana\"}"}}]}}
            """;
        using var output = await handler.HandleAsync(new MemoryStream(Encoding.UTF8.GetBytes(envelope)), new TestLambdaContext());
        Assert.Equal("{\"Status\":\"PENDING\"}", await new StreamReader(output).ReadToEndAsync());

        service.FireAllTimers();
        var next = service.NextInvocation();
        var json = JsonSerializer.Serialize(next, Wire);
        using var done = await handler.HandleAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)), new TestLambdaContext());
        Assert.Equal("{\"Status\":\"SUCCEEDED\",\"Result\":\"\\\"hi ana\\\"\"}", await new StreamReader(done).ReadToEndAsync());
    }

    [Fact]
    public void OperationIds_AreTheFirst16HexCharactersOfMd5()
    {
        Assert.Equal("c4ca4238a0b92382", OperationIds.Hash("1"));
        Assert.Equal("c81e728d9d4c2f63", OperationIds.Hash("2"));
        Assert.Equal("8fbdbf5573b18fae", OperationIds.Hash("2-1"));
    }
}
