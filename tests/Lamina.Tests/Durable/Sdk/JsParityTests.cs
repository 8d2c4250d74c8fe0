using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Lamina.Durable;

namespace Lamina.Tests.Durable.Sdk;

/// <summary>
/// The server is shared by both SDKs, so Lamina.Durable must send what @aws/durable-execution-sdk-js 2.4.0 sends.
/// Fixtures/js-updates.json holds the official SDK's updates for the workflow below, recorded with
/// Fixtures/record-js-updates.mjs; this test runs the same workflow in C# and compares every operation's updates.
/// </summary>
public sealed class JsParityTests
{
    private sealed record Input(int N);

    private sealed record Fetched(int V);

    private sealed record InvokeInput(int X);

    private static readonly JsonSerializerOptions Wire = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    [Fact]
    public async Task ReferenceWorkflow_SendsTheSameUpdatesAsTheOfficialSdk()
    {
        var service = new InMemoryDurableService("{\"n\":41}");
        var handler = DurableHarness.Wrap<Input, string>(service, async (input, ctx) =>
        {
            var fetched = await ctx.StepAsync("fetch", _ => Task.FromResult(new Fetched(input.N)));
            await ctx.RunInChildContextAsync("child", child => child.StepAsync("inner", _ => Task.FromResult(fetched.V + 1)));
            await ctx.StepAsync(null, _ => Task.FromResult("unnamed"));
            await ctx.ParallelAsync("par", [
                new ParallelBranch<int>(null, c => c.StepAsync("p1", _ => Task.FromResult(1))),
                new ParallelBranch<int>("named", c => c.StepAsync(null, _ => Task.FromResult(2))),
            ]);
            await ctx.MapAsync<int, int>("mp", [10, 20], (c, item, _) => c.StepAsync("m", _ => Task.FromResult(item * 2)));
            await ctx.WaitForConditionAsync<int>("cond", (s, _) => Task.FromResult(s + 1), new WaitForConditionConfig<int>
            {
                InitialState = 0,
                WaitStrategy = (s, _) => s >= 1 ? WaitDecision.Done : WaitDecision.After(TimeSpan.FromSeconds(1)),
            });
            await ctx.ParallelAsync<string>("suspend", [
                async c =>
                {
                    await c.WaitAsync("w", TimeSpan.FromSeconds(2));
                    return "w";
                },
                c => c.WaitForCallbackAsync("approve", (_, _) => Task.CompletedTask, new WaitForCallbackConfig { Timeout = TimeSpan.FromSeconds(60) }),
                c => c.InvokeAsync<InvokeInput, string>("inv", "target:1", new InvokeInput(1)),
                async c =>
                {
                    var callback = await c.CreateCallbackAsync("cb", new CallbackConfig { Timeout = TimeSpan.FromSeconds(30), HeartbeatTimeout = TimeSpan.FromSeconds(10) });
                    return await callback.GetResultAsync();
                },
            ]);
            return "done";
        });

        // Under 3 s left: the 2 s wait is never polled, so the invocation suspends as the recorded one did.
        var output = await handler.InvokeAsync(service, new TestLambdaContext(TimeSpan.FromSeconds(2.5)));

        using var fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Durable", "Sdk", "Fixtures", "js-updates.json")));
        Assert.Equal(fixture.RootElement.GetProperty("output").GetProperty("Status").GetString(), output.Status.ToString());
        var expected = Group(fixture.RootElement.GetProperty("updates").EnumerateArray().Select(e => JsonNode.Parse(e.GetRawText())!));
        var actual = Group(service.Updates.Select(u => JsonSerializer.SerializeToNode(u, Wire)!));

        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (id, updates) in expected)
        {
            Assert.True(updates.Count == actual[id].Count && updates.Zip(actual[id]).All(p => JsonNode.DeepEquals(p.First, p.Second)),
                $"updates of {id} differ:\n  js: {string.Join(" ", updates.Select(u => u.ToJsonString()))}\n  c#: {string.Join(" ", actual[id].Select(u => u.ToJsonString()))}");
        }
    }

    private static Dictionary<string, List<JsonNode>> Group(IEnumerable<JsonNode> updates)
    {
        var byId = new Dictionary<string, List<JsonNode>>(StringComparer.Ordinal);
        foreach (var update in updates)
        {
            var id = update["Id"]!.GetValue<string>();
            if (!byId.TryGetValue(id, out var list))
            {
                byId[id] = list = [];
            }

            list.Add(update);
        }

        return byId;
    }
}
