using System.Text;
using Lamina.Core.Storage;
using Lamina.Tests.Support;

namespace Lamina.Tests.Durable;

/// <summary>
/// The durable security model: checkpoint calls need lambda:CheckpointDurableExecution on the qualified
/// execution ARN, a token only works for its own execution, and payloads are encrypted at rest.
/// </summary>
public sealed class DurableSecurityTests(DurableFixture fixture) : IClassFixture<DurableFixture>
{
    private async Task<string> StartAsync(string function, object payload)
    {
        using var client = fixture.Client();
        var response = await client.SendAsync(HttpMethod.Post, $"/2015-03-31/functions/{function}/invocations?Qualifier=%24LATEST", payload,
            headers: new Dictionary<string, string> { ["X-Amz-Invocation-Type"] = "Event" });
        Assert.True(response.Status == 202, response.ToString());
        return response.Headers["X-Amz-Durable-Execution-Arn"];
    }

    [Fact]
    public async Task WithoutCheckpointPermission_TheExecutionFails()
    {
        await fixture.FunctionAsync("steps");
        await fixture.RoleAsync("no-durable-role", null);
        var function = await fixture.FunctionAsync("steps", name: "durable-no-permission", role: "arn:aws:iam::000000000000:role/no-durable-role");
        var execution = await fixture.ClosedAsync(await StartAsync(function, new { n = 1 }));
        Assert.Equal("FAILED", execution["Status"]!.GetValue<string>());
        Assert.Contains("Checkpoint", execution["Error"]!["ErrorType"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task QualifiedWildcardGrant_Works_UnqualifiedGrantDoesNot()
    {
        await fixture.FunctionAsync("steps");
        const string Scoped = """
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:CheckpointDurableExecution","lambda:GetDurableExecutionState"],
            "Resource":"arn:aws:lambda:us-east-1:000000000000:function:durable-scoped:*"}]}
            """;
        const string Unqualified = """
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:CheckpointDurableExecution","lambda:GetDurableExecutionState"],
            "Resource":"arn:aws:lambda:us-east-1:000000000000:function:durable-unqualified"}]}
            """;
        await fixture.RoleAsync("scoped-role", Scoped);
        await fixture.RoleAsync("unqualified-role", Unqualified);
        var scoped = await fixture.FunctionAsync("steps", name: "durable-scoped", role: "arn:aws:iam::000000000000:role/scoped-role");
        var unqualified = await fixture.FunctionAsync("steps", name: "durable-unqualified", role: "arn:aws:iam::000000000000:role/unqualified-role");
        var ok = await fixture.ClosedAsync(await StartAsync(scoped, new { n = 2 }));
        var refused = await fixture.ClosedAsync(await StartAsync(unqualified, new { n = 2 }));
        Assert.Equal("SUCCEEDED", ok["Status"]!.GetValue<string>());
        Assert.Equal("FAILED", refused["Status"]!.GetValue<string>());
    }

    [Fact]
    public async Task ATokenOnlyWorksForItsOwnExecution()
    {
        var function = await fixture.FunctionAsync("survivor");
        var a = await StartAsync(function, new { waitSeconds = 1, stepSeconds = 8 });
        var b = await StartAsync(function, new { waitSeconds = 1, stepSeconds = 8 });
        var store = (IStore)fixture.Server.Services.GetService(typeof(IStore))!;
        string? tokenA = null;
        for (var i = 0; i < 100 && tokenA is null; i++)
        {
            // A's token while its invocation runs the 8-second step.
            var x = await store.Durable.GetExecutionAsync(a, CancellationToken.None);
            var steps = await fixture.HistoryAsync(a);
            if (steps.Any(e => e["Name"]?.GetValue<string>() == "slow-step"))
            {
                tokenA = x!.Token;
            }

            await Task.Delay(200);
        }

        Assert.NotNull(tokenA);
        using var client = fixture.Client();
        var foreign = await client.PostAsync($"/2025-12-01/durable-executions/{DurableFixture.Escape(b)}/checkpoint",
            new { CheckpointToken = tokenA, Updates = Array.Empty<object>() });
        Assert.Equal(400, foreign.Status);
        Assert.StartsWith("Invalid Checkpoint Token", foreign.Json["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var state = await client.GetAsync($"/2025-12-01/durable-executions/{DurableFixture.Escape(b)}/state?CheckpointToken={Uri.EscapeDataString(tokenA!)}");
        Assert.Equal(400, state.Status);
        foreach (var arn in new[] { a, b })
        {
            await client.PostAsync($"/2025-12-01/durable-executions/{DurableFixture.Escape(arn)}/stop", null);
        }
    }

    [Fact]
    public async Task Payloads_AreNotStoredInPlaintext()
    {
        var function = await fixture.FunctionAsync("callback", name: "durable-callback-secrets");
        var inputMarker = "input-" + Guid.NewGuid().ToString("N");
        var resultMarker = "callback-result-" + Guid.NewGuid().ToString("N");
        var arn = await StartAsync(function, new { marker = inputMarker });
        string? callbackId = null;
        for (var i = 0; i < 100 && callbackId is null; i++)
        {
            callbackId = (await fixture.HistoryAsync(arn)).FirstOrDefault(e => e["EventType"]!.GetValue<string>() == "CallbackStarted")?
                ["CallbackStartedDetails"]!["CallbackId"]!.GetValue<string>();
            await Task.Delay(200);
        }

        using var client = fixture.Client();
        var sent = await client.SendAsync(HttpMethod.Post, $"/2025-12-01/durable-execution-callbacks/{callbackId}/succeed",
            rawBody: Encoding.UTF8.GetBytes(resultMarker));
        Assert.True(sent.Status == 200, sent.ToString());
        var execution = await fixture.ClosedAsync(arn);
        Assert.Contains(resultMarker, execution["Result"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(inputMarker, execution["InputPayload"]!.GetValue<string>(), StringComparison.Ordinal);

        Assert.NotEmpty(Directory.EnumerateFiles(fixture.DataDir, "lamina.db*"));
        Assert.Empty(await DataDirScan.FilesContainingAsync(fixture.DataDir, inputMarker, resultMarker));
    }

    [Fact]
    public async Task MasterKeyRotation_RewrapsDurableRecords_WhileTheyStayReadable()
    {
        var function = await fixture.FunctionAsync("steps");
        var arn = await StartAsync(function, new { n = 5 });
        Assert.Equal("SUCCEEDED", (await fixture.ClosedAsync(arn))["Status"]!.GetValue<string>());

        var rotated = await ProcessRunner.RunAsync("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "lamina.dll"), "keys", "rotate-master", "--data-dir", fixture.DataDir]);
        Assert.True(rotated.ExitCode == 0, rotated.ToString());

        var store = (IStore)fixture.Server.Services.GetService(typeof(IStore))!;
        var kinds = new HashSet<Lamina.Core.Crypto.SealedKind>();
        await foreach (var cell in store.Sealed.ListAsync(CancellationToken.None))
        {
            if (cell.AccountId == arn)
            {
                kinds.Add(cell.Kind);
                Assert.True(Lamina.Core.Crypto.Envelope.MasterKeyIdOf(cell.Value) > 1, $"{cell.Kind} {cell.Id} is still under the first master key");
            }
        }

        Assert.Contains(Lamina.Core.Crypto.SealedKind.DurableExecutionPayload, kinds);
        Assert.Contains(Lamina.Core.Crypto.SealedKind.DurableOperation, kinds);
        Assert.Contains(Lamina.Core.Crypto.SealedKind.DurableHistoryEvent, kinds);
        var execution = await fixture.ExecutionAsync(arn);
        Assert.Equal("""{"a":6,"b":12}""", execution["Result"]!.GetValue<string>());
        Assert.Equal("ExecutionSucceeded", (await fixture.HistoryAsync(arn))[^1]["EventType"]!.GetValue<string>());
    }

    [Fact]
    public async Task Checkpoints_AreAuditedAsDataEvents_NamingStepsNotPayloads()
    {
        var function = await fixture.FunctionAsync("steps");
        var arn = await StartAsync(function, new { n = 7 });
        Assert.Equal("SUCCEEDED", (await fixture.ClosedAsync(arn))["Status"]!.GetValue<string>());

        var records = (await Audit.AuditHelpers.LookupAsync(fixture, "EventName", "CheckpointDurableExecution"))
            .Select(Audit.AuditHelpers.Record)
            .Where(r => r["requestParameters"]?["durableExecutionArn"]?.GetValue<string>() == arn)
            .ToList();
        Assert.NotEmpty(records);
        foreach (var record in records)
        {
            Assert.Equal("Data", record["eventCategory"]!.GetValue<string>());
            Assert.False(record["managementEvent"]!.GetValue<bool>());
            Assert.Equal("AssumedRole", record["userIdentity"]!["type"]!.GetValue<string>());
            var text = record.ToJsonString();
            Assert.DoesNotContain("\"Payload\"", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("CheckpointToken", text, StringComparison.OrdinalIgnoreCase);
            Assert.Null(record["responseElements"]?["NewExecutionState"]);
        }

        // Every step the execution checkpointed is named by its operation id, type and action.
        var updates = records.SelectMany(r => r["requestParameters"]!["updates"]!.AsArray()).Select(u => u!).ToList();
        Assert.Contains(updates, u => u["type"]!.GetValue<string>() == "STEP" && u["action"]!.GetValue<string>() == "SUCCEED");
        Assert.All(updates, u => Assert.False(string.IsNullOrEmpty(u["id"]!.GetValue<string>())));
    }
}
