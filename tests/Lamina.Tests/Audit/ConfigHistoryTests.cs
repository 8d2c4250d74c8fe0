using System.Text.Json.Nodes;
using Lamina.Tests.Support;
using static Lamina.Tests.Audit.AuditHelpers;
using static Lamina.Tests.E2e.E2eHelpers;

namespace Lamina.Tests.Audit;

/// <summary>
/// Configuration history: every change of a function, version, alias, layer version, policy, concurrency
/// setting and event-invoke config is recorded with the state before and after (secrets only as hashes),
/// linked to the audit record of the call, kept after the resource is gone, and served to
/// <c>aws configservice get-resource-config-history</c> and <c>lamina config history</c>.
/// </summary>
public sealed class ConfigHistoryTests(LaminaFixture fixture) : IClassFixture<LaminaFixture>
{
    private readonly AwsCli _cli = new(fixture);

    private static JsonNode Configuration(JsonNode item) => JsonNode.Parse(item["configuration"]!.GetValue<string>())!;

    private static JsonNode Previous(JsonNode item) => JsonNode.Parse(item["supplementaryConfiguration"]!["PreviousState"]!.GetValue<string>())!;

    [Fact]
    public async Task FunctionLifecycle_CreateUpdateDelete_HistoryHasEachStateBeforeAndAfter()
    {
        const string Name = "history-fn";
        const string Secret = "history-env-secret-3e7a";
        using var client = fixture.Client();
        var created = await client.PostAsync("/2015-03-31/functions", new
        {
            FunctionName = Name,
            Runtime,
            Role,
            Handler = "index.handler",
            Code = new { ZipFile = Convert.ToBase64String(Handler(1)) },
            Environment = new { Variables = new Dictionary<string, string> { ["TOKEN"] = Secret } },
        });
        Assert.Equal(201, created.Status);
        Assert.Equal(200, (await client.PutAsync($"/2015-03-31/functions/{Name}/configuration", new { MemorySize = 512 })).Status);
        Assert.Equal(200, (await client.PutAsync($"/2015-03-31/functions/{Name}/code", new { ZipFile = Convert.ToBase64String(Handler(2)) })).Status);
        Assert.Equal(200, (await client.PutAsync($"/2015-03-31/functions/{Name}/configuration",
            new { Environment = new { Variables = new Dictionary<string, string> { ["TOKEN"] = Secret + "-rotated" } } })).Status);
        Assert.Equal(201, (await client.PostAsync($"/2015-03-31/functions/{Name}/policy",
            new { StatementId = "s3", Action = "lambda:InvokeFunction", Principal = "s3.amazonaws.com" })).Status);
        Assert.Equal(200, (await client.PutAsync($"/2017-10-31/functions/{Name}/concurrency", new { ReservedConcurrentExecutions = 3 })).Status);
        Assert.Equal(200, (await client.PutAsync($"/2019-09-25/functions/{Name}/event-invoke-config", new { MaximumRetryAttempts = 1 })).Status);
        Assert.Equal(204, (await client.DeleteAsync($"/2015-03-31/functions/{Name}")).Status);

        var history = await _cli.JsonAsync("configservice", "get-resource-config-history", "--resource-type", "AWS::Lambda::Function",
            "--resource-id", Name, "--chronological-order", "Forward");
        var items = history["configurationItems"]!.AsArray().Select(i => i!).ToList();
        Assert.Equal(["CreateFunction", "UpdateFunctionConfiguration", "UpdateFunctionCode", "UpdateFunctionConfiguration", "AddPermission",
            "PutFunctionConcurrency", "PutFunctionEventInvokeConfig", "DeleteFunction"],
            items.Select(i => i["supplementaryConfiguration"]!["EventName"]!.GetValue<string>()));
        Assert.Equal("ResourceDiscovered", items[0]["configurationItemStatus"]!.GetValue<string>());
        Assert.All(items[1..^1], i => Assert.Equal("OK", i["configurationItemStatus"]!.GetValue<string>()));
        Assert.Equal("ResourceDeleted", items[^1]["configurationItemStatus"]!.GetValue<string>());
        Assert.All(items, i => Assert.Equal(Arn(Name), i["arn"]!.GetValue<string>()));

        Assert.Equal(128, Previous(items[1])["configuration"]!["MemorySize"]!.GetValue<int>());
        Assert.Equal(512, Configuration(items[1])["MemorySize"]!.GetValue<int>());
        Assert.Equal(Sha256(Handler(1)), Previous(items[2])["configuration"]!["CodeSha256"]!.GetValue<string>());
        Assert.Equal(Sha256(Handler(2)), Configuration(items[2])["CodeSha256"]!.GetValue<string>());
        // Variables are sealed under KMS (alias/aws/lambda): history holds a keyed digest of the whole set.
        var hashBefore = Previous(items[3])["configuration"]!["Environment"]!["Digest"]!.GetValue<string>();
        var hashAfter = Configuration(items[3])["Environment"]!["Digest"]!.GetValue<string>();
        Assert.StartsWith("hmac-sha256:", hashBefore, StringComparison.Ordinal);
        Assert.NotEqual(hashBefore, hashAfter);
        Assert.Equal(hashBefore, Configuration(items[1])["Environment"]!["Digest"]!.GetValue<string>());
        Assert.Null(Configuration(items[1])["Environment"]!["Variables"]);
        Assert.Contains("s3.amazonaws.com", items[4]["supplementaryConfiguration"]!["Policy"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("3", items[5]["supplementaryConfiguration"]!["ReservedConcurrentExecutions"]!.GetValue<string>());
        Assert.Contains("\"MaximumRetryAttempts\":1", items[6]["supplementaryConfiguration"]!["EventInvokeConfig"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(items[^1]["configuration"]);
        Assert.Equal(3, Previous(items[^1])["reservedConcurrentExecutions"]!.GetValue<int>());

        // Each change links to the audit record of the call that made it.
        var updateEvent = (await LookupAsync(fixture, "EventId", items[1]["relatedEvents"]![0]!.GetValue<string>())).Single();
        Assert.Equal("UpdateFunctionConfiguration", updateEvent["EventName"]!.GetValue<string>());

        var everything = EverythingRecorded(fixture.DataDir);
        Assert.DoesNotContain(Secret, everything, StringComparison.Ordinal);

        var newest = await _cli.JsonAsync("configservice", "get-resource-config-history", "--resource-type", "AWS::Lambda::Function",
            "--resource-id", Name, "--max-items", "2");
        Assert.Equal(["DeleteFunction", "PutFunctionEventInvokeConfig"],
            newest["configurationItems"]!.AsArray().Select(i => i!["supplementaryConfiguration"]!["EventName"]!.GetValue<string>()));
        var window = await _cli.JsonAsync("configservice", "get-resource-config-history", "--resource-type", "AWS::Lambda::Function",
            "--resource-id", Name, "--later-time", DateTimeOffset.UtcNow.AddDays(-1).ToString("O"));
        Assert.Empty(window["configurationItems"]!.AsArray());
        Assert.Equal("ResourceNotDiscoveredException", (await _cli.ErrorAsync("configservice", "get-resource-config-history",
            "--resource-type", "AWS::Lambda::Function", "--resource-id", "history-never-existed")).Code);

        var text = await LaminaAsync("config", "history", "--data-dir", fixture.DataDir, "--resource-type", "AWS::Lambda::Function", "--resource-id", Name);
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("configuration.MemorySize: 128 -> 512", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("reservedConcurrentExecutions: (none) -> 3", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("DELETE", text.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, text.Stdout, StringComparison.Ordinal);
        var json = await LaminaAsync("config", "history", "--data-dir", fixture.DataDir, "--resource-type", "AWS::Lambda::Function", "--resource-id", Name,
            "--json", "--from", DateTimeOffset.UtcNow.AddMinutes(-10).ToString("O"));
        var lines = json.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(8, lines.Count);
        Assert.Equal(512, lines[1]["after"]!["configuration"]!["MemorySize"]!.GetValue<int>());
        Assert.Null(lines[^1]["after"]);
    }

    [Fact]
    public async Task VersionsAliasesAndLayers_EachHaveTheirOwnHistory()
    {
        const string Name = "history-versions";
        using var client = fixture.Client();
        await CreateRawAsync(client, Name, Handler(1), publish: true);
        await PublishRawAsync(client, Name, Handler(2), "2");
        Assert.Equal(201, (await client.PostAsync($"/2015-03-31/functions/{Name}/aliases", new { Name = "live", FunctionVersion = "1" })).Status);
        Assert.Equal(200, (await client.PutAsync($"/2015-03-31/functions/{Name}/aliases/live", new { FunctionVersion = "2" })).Status);
        Assert.Equal(202, (await client.PutAsync($"/2019-09-30/functions/{Name}/provisioned-concurrency?Qualifier=2",
            new { ProvisionedConcurrentExecutions = 1 })).Status);
        Assert.Equal(204, (await client.DeleteAsync($"/2019-09-30/functions/{Name}/provisioned-concurrency?Qualifier=2")).Status);
        Assert.Equal(204, (await client.DeleteAsync($"/2015-03-31/functions/{Name}/aliases/live")).Status);
        Assert.Equal(204, (await client.DeleteAsync($"/2015-03-31/functions/{Name}?Qualifier=1")).Status);

        var version1 = await HistoryAsync("AWS::Lambda::Version", $"{Name}:1");
        Assert.Equal(["CREATE", "DELETE"], version1.Select(i => i["supplementaryConfiguration"]!["ChangeType"]!.GetValue<string>()));
        Assert.Equal(Arn(Name, "1"), version1[0]["arn"]!.GetValue<string>());
        Assert.Equal("1", Configuration(version1[0])["Version"]!.GetValue<string>());
        var version2 = await HistoryAsync("AWS::Lambda::Version", $"{Name}:2");
        Assert.Equal(["PublishVersion", "PutProvisionedConcurrencyConfig", "DeleteProvisionedConcurrencyConfig"],
            version2.Select(i => i["supplementaryConfiguration"]!["EventName"]!.GetValue<string>()));
        Assert.Equal("1", version2[1]["supplementaryConfiguration"]!["ProvisionedConcurrentExecutions"]!.GetValue<string>());
        var alias = await HistoryAsync("AWS::Lambda::Alias", $"{Name}:live");
        Assert.Equal(["CreateAlias", "UpdateAlias", "DeleteAlias"], alias.Select(i => i["supplementaryConfiguration"]!["EventName"]!.GetValue<string>()));
        Assert.Equal("1", Previous(alias[1])["configuration"]!["FunctionVersion"]!.GetValue<string>());
        Assert.Equal("2", Configuration(alias[1])["FunctionVersion"]!.GetValue<string>());

        var layer = await client.PostAsync("/2018-10-31/layers/history-layer/versions",
            new { Content = new { ZipFile = Convert.ToBase64String(Handler(3)) }, CompatibleRuntimes = new[] { Runtime } });
        Assert.Equal(201, layer.Status);
        Assert.Equal(201, (await client.PostAsync("/2018-10-31/layers/history-layer/versions/1/policy",
            new { StatementId = "all", Action = "lambda:GetLayerVersion", Principal = "*" })).Status);
        Assert.Equal(204, (await client.DeleteAsync("/2018-10-31/layers/history-layer/versions/1")).Status);
        var layerHistory = await HistoryAsync("AWS::Lambda::LayerVersion", "history-layer:1");
        Assert.Equal(["PublishLayerVersion", "AddLayerVersionPermission", "DeleteLayerVersion"],
            layerHistory.Select(i => i["supplementaryConfiguration"]!["EventName"]!.GetValue<string>()));
        Assert.Equal(LayerArn("history-layer", 1), layerHistory[0]["arn"]!.GetValue<string>());
        Assert.Null(Configuration(layerHistory[0])["Content"]!["Location"]);
    }

    private async Task<List<JsonNode>> HistoryAsync(string type, string id) =>
        (await _cli.JsonAsync("configservice", "get-resource-config-history", "--resource-type", type, "--resource-id", id,
            "--chronological-order", "Forward"))["configurationItems"]!.AsArray().Select(i => i!).ToList();
}
