using Lamina.Tests.Support;
using static Lamina.Tests.E2e.E2eHelpers;

namespace Lamina.Tests.E2e;

/// <summary>
/// A function's own lifecycle through the real AWS CLI (v1), configured only by the shared credentials
/// and config files the server writes: create, read, download, update, publish, delete; aliases with
/// weighted routing; layers. Setup that is not under test goes through the raw signed client, because
/// each CLI process costs about 0.5 s of CPU on the 2-core CI machine.
/// </summary>
public sealed class ControlPlaneCliTests(LaminaFixture fixture) : IClassFixture<LaminaFixture>, IDisposable
{
    private readonly AwsCli _cli = new(fixture);
    private readonly string _dir = TempDirs.Create("lamina-cli");

    public void Dispose() => TempDirs.Delete(_dir);

    private string FileB(string fileName, byte[] bytes) => E2eHelpers.FileB(_dir, fileName, bytes);

    [Fact]
    public async Task FunctionLifecycle_CreateReadUpdatePublishDelete_RealResponses()
    {
        const string Name = "cli-life";
        var v1 = Handler(1);
        var created = await _cli.JsonAsync("lambda", "create-function", "--function-name", Name, "--runtime", Runtime, "--role", Role,
            "--handler", "index.handler", "--zip-file", FileB("v1.zip", v1), "--description", "cli lifecycle", "--memory-size", "256",
            "--timeout", "5", "--environment", "Variables={STAGE=one,MODE=e2e}", "--tags", "team=lamina,suite=cli",
            "--durable-config", "RetentionPeriodInDays=7,ExecutionTimeout=900");
        Assert.Equal(Arn(Name), Str(created["FunctionArn"]));
        Assert.Equal("$LATEST", Str(created["Version"]));
        Assert.Equal(Sha256(v1), Str(created["CodeSha256"]));
        Assert.Equal(v1.Length, created["CodeSize"]!.GetValue<long>());
        Assert.Equal(256, created["MemorySize"]!.GetValue<int>());
        Assert.Equal(5, created["Timeout"]!.GetValue<int>());
        Assert.Equal("cli lifecycle", Str(created["Description"]));
        Assert.Equal("""{"STAGE":"one","MODE":"e2e"}""", created["Environment"]!["Variables"]!.ToJsonString());
        Assert.Equal("""{"RetentionPeriodInDays":7,"ExecutionTimeout":900}""", created["DurableConfig"]!.ToJsonString());
        Assert.Equal("/aws/lambda/cli-life", Str(created["LoggingConfig"]!["LogGroup"]));

        var waited = await _cli.RunAsync("lambda", "wait", "function-active-v2", "--function-name", Name);
        Assert.True(waited.ExitCode == 0, waited.ToString());

        var got = await _cli.JsonAsync("lambda", "get-function", "--function-name", Name);
        var config = got["Configuration"]!;
        Assert.Equal("Active", Str(config["State"]));
        Assert.Equal("Successful", Str(config["LastUpdateStatus"]));
        Assert.Equal(Arn(Name), Str(config["FunctionArn"]));
        Assert.Equal("""{"team":"lamina","suite":"cli"}""", got["Tags"]!.ToJsonString());
        Assert.Equal("S3", Str(got["Code"]!["RepositoryType"]));
        var downloaded = await DownloadAsync(Str(got["Code"]!["Location"]));
        Assert.Equal(v1, downloaded);
        Assert.Equal(Str(config["CodeSha256"]), Sha256(downloaded));

        var onlyConfig = await _cli.JsonAsync("lambda", "get-function-configuration", "--function-name", Name);
        Assert.Equal(Str(config["RevisionId"]), Str(onlyConfig["RevisionId"]));
        Assert.Equal("""{"RetentionPeriodInDays":7,"ExecutionTimeout":900}""", onlyConfig["DurableConfig"]!.ToJsonString());
        Assert.Null(onlyConfig["Code"]);

        var updated = await _cli.JsonAsync("lambda", "update-function-configuration", "--function-name", Name,
            "--revision-id", Str(config["RevisionId"]), "--memory-size", "1024", "--timeout", "30", "--environment", "Variables={STAGE=two}");
        Assert.Equal(1024, updated["MemorySize"]!.GetValue<int>());
        Assert.Equal(30, updated["Timeout"]!.GetValue<int>());
        Assert.Equal("""{"STAGE":"two"}""", updated["Environment"]!["Variables"]!.ToJsonString());
        Assert.NotEqual(Str(config["RevisionId"]), Str(updated["RevisionId"]));

        var stale = await _cli.ErrorAsync("lambda", "update-function-configuration", "--function-name", Name,
            "--revision-id", Str(config["RevisionId"]), "--timeout", "31");
        Assert.Equal(new CliError("PreconditionFailedException", "UpdateFunctionConfiguration",
            "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"), stale);

        var first = await _cli.JsonAsync("lambda", "publish-version", "--function-name", Name, "--description", "first");
        Assert.Equal("1", Str(first["Version"]));
        Assert.Equal(Arn(Name, "1"), Str(first["FunctionArn"]));
        Assert.Equal("first", Str(first["Description"]));
        Assert.Equal(1024, first["MemorySize"]!.GetValue<int>());
        var again = await _cli.JsonAsync("lambda", "publish-version", "--function-name", Name);
        Assert.Equal("1", Str(again["Version"]));
        Assert.Equal(Str(first["RevisionId"]), Str(again["RevisionId"]));

        var v2 = Handler(2);
        var newCode = await _cli.JsonAsync("lambda", "update-function-code", "--function-name", Name, "--zip-file", FileB("v2.zip", v2));
        Assert.Equal(Sha256(v2), Str(newCode["CodeSha256"]));
        Assert.Equal("$LATEST", Str(newCode["Version"]));
        var second = await _cli.JsonAsync("lambda", "publish-version", "--function-name", Name, "--code-sha256", Sha256(v2));
        Assert.Equal("2", Str(second["Version"]));

        var versions = await _cli.JsonAsync("lambda", "list-versions-by-function", "--function-name", Name);
        Assert.Equal([Arn(Name, "$LATEST"), Arn(Name, "1"), Arn(Name, "2")], versions["Versions"]!.AsArray().Select(v => Str(v!["FunctionArn"])));
        Assert.Equal([Sha256(v2), Sha256(v1), Sha256(v2)], versions["Versions"]!.AsArray().Select(v => Str(v!["CodeSha256"])));

        // Version 1 keeps the first package: its presigned location serves the v1 bytes.
        var version1 = await _cli.JsonAsync("lambda", "get-function", "--function-name", Arn(Name), "--qualifier", "1");
        Assert.Equal(Arn(Name, "1"), Str(version1["Configuration"]!["FunctionArn"]));
        Assert.Equal(v1, await DownloadAsync(Str(version1["Code"]!["Location"])));

        var deleted = await _cli.RunAsync("lambda", "delete-function", "--function-name", Name, "--qualifier", "1");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        using var client = fixture.Client();
        var remaining = await client.GetAsync($"/2015-03-31/functions/{Name}/versions");
        Assert.Equal(["$LATEST", "2"], remaining.Json["Versions"]!.AsArray().Select(v => Str(v!["Version"])));
        Assert.Equal(new CliError("ResourceNotFoundException", "GetFunctionConfiguration", $"Function not found: {Arn(Name, "1")}"),
            await _cli.ErrorAsync("lambda", "get-function-configuration", "--function-name", Name, "--qualifier", "1"));

        var gone = await _cli.RunAsync("lambda", "delete-function", "--function-name", Name);
        Assert.True(gone.ExitCode == 0, gone.ToString());
        Assert.Equal(404, (await client.GetAsync($"/2015-03-31/functions/{Name}")).Status);
    }

    [Fact]
    public async Task Aliases_WeightedRouting_CreateGetUpdateListDelete()
    {
        const string Name = "cli-alias";
        using var client = fixture.Client();
        await CreateRawAsync(client, Name, Handler(1), publish: true);
        await PublishRawAsync(client, Name, Handler(2), "2");
        var aliasArn = Arn(Name, "live");

        var created = await _cli.JsonAsync("lambda", "create-alias", "--function-name", Name, "--name", "live", "--function-version", "1",
            "--description", "canary", "--routing-config", "AdditionalVersionWeights={2=0.25}");
        Assert.Equal(aliasArn, Str(created["AliasArn"]));
        Assert.Equal("1", Str(created["FunctionVersion"]));
        Assert.Equal("""{"AdditionalVersionWeights":{"2":0.25}}""", created["RoutingConfig"]!.ToJsonString());

        Assert.Equal(new CliError("ResourceConflictException", "CreateAlias", $"Alias already exists: {aliasArn}"),
            await _cli.ErrorAsync("lambda", "create-alias", "--function-name", Name, "--name", "live", "--function-version", "2"));

        var got = await _cli.JsonAsync("lambda", "get-alias", "--function-name", Name, "--name", "live");
        Assert.Equal(created.ToJsonString(), got.ToJsonString());

        var shifted = await _cli.JsonAsync("lambda", "update-alias", "--function-name", Name, "--name", "live",
            "--revision-id", Str(got["RevisionId"]), "--routing-config", """{"AdditionalVersionWeights":{"2":0.5}}""");
        Assert.Equal("""{"AdditionalVersionWeights":{"2":0.5}}""", shifted["RoutingConfig"]!.ToJsonString());
        Assert.Equal("canary", Str(shifted["Description"]));
        Assert.NotEqual(Str(got["RevisionId"]), Str(shifted["RevisionId"]));

        var stale = await _cli.ErrorAsync("lambda", "update-alias", "--function-name", Name, "--name", "live",
            "--revision-id", Str(got["RevisionId"]), "--description", "stale");
        Assert.Equal("PreconditionFailedException", stale.Code);

        Assert.Equal(new CliError("ResourceConflictException", "DeleteFunction", "Unable to delete version because the following aliases reference it: [live]"),
            await _cli.ErrorAsync("lambda", "delete-function", "--function-name", Name, "--qualifier", "1"));

        var viaAlias = await _cli.JsonAsync("lambda", "get-function-configuration", "--function-name", Name, "--qualifier", "live");
        Assert.Equal(aliasArn, Str(viaAlias["FunctionArn"]));
        Assert.Equal("1", Str(viaAlias["Version"]));

        var promoted = await _cli.JsonAsync("lambda", "update-alias", "--function-name", Name, "--name", "live", "--function-version", "2",
            "--routing-config", "AdditionalVersionWeights={}");
        Assert.Equal("2", Str(promoted["FunctionVersion"]));
        Assert.Null(promoted["RoutingConfig"]);

        var listed = await _cli.JsonAsync("lambda", "list-aliases", "--function-name", Name);
        Assert.Equal(promoted.ToJsonString(), listed["Aliases"]!.AsArray().Single()!.ToJsonString());

        var deleted = await _cli.RunAsync("lambda", "delete-alias", "--function-name", Name, "--name", "live");
        Assert.True(deleted.ExitCode == 0 && deleted.Stdout.Length == 0, deleted.ToString());
        Assert.Equal(new CliError("ResourceNotFoundException", "GetAlias", $"Cannot find alias arn: {aliasArn}"),
            await _cli.ErrorAsync("lambda", "get-alias", "--function-name", Name, "--name", "live"));
        Assert.Empty((await client.GetAsync($"/2015-03-31/functions/{Name}/aliases")).Json["Aliases"]!.AsArray());
    }

    [Fact]
    public async Task Layers_PublishGetListDelete_FunctionKeepsItsLayer()
    {
        const string Layer = "cli-layer";
        var content1 = Zips.Of(("nodejs/node_modules/helper/index.js", "module.exports = 1;"));
        var content2 = Zips.Of(("nodejs/node_modules/helper/index.js", "module.exports = 2;"));

        var first = await _cli.JsonAsync("lambda", "publish-layer-version", "--layer-name", Layer, "--zip-file", FileB("l1.zip", content1),
            "--compatible-runtimes", Runtime, "--compatible-architectures", "x86_64", "--description", "helper", "--license-info", "MIT");
        Assert.Equal(1, first["Version"]!.GetValue<long>());
        Assert.Equal(LayerArn(Layer), Str(first["LayerArn"]));
        Assert.Equal(LayerArn(Layer, 1), Str(first["LayerVersionArn"]));
        Assert.Equal(Sha256(content1), Str(first["Content"]!["CodeSha256"]));
        Assert.Equal(content1.Length, first["Content"]!["CodeSize"]!.GetValue<long>());
        Assert.Equal("""["nodejs20.x"]""", first["CompatibleRuntimes"]!.ToJsonString());
        Assert.Equal(content1, await DownloadAsync(Str(first["Content"]!["Location"])));

        var second = await _cli.JsonAsync("lambda", "publish-layer-version", "--layer-name", LayerArn(Layer), "--zip-file", FileB("l2.zip", content2));
        Assert.Equal(2, second["Version"]!.GetValue<long>());
        Assert.Null(second["CompatibleRuntimes"]);

        var got = await _cli.JsonAsync("lambda", "get-layer-version", "--layer-name", Layer, "--version-number", "1");
        Assert.Equal("helper", Str(got["Description"]));
        Assert.Equal("MIT", Str(got["LicenseInfo"]));
        var byArn = await _cli.JsonAsync("lambda", "get-layer-version-by-arn", "--arn", LayerArn(Layer, 2));
        Assert.Equal(Sha256(content2), Str(byArn["Content"]!["CodeSha256"]));
        Assert.Equal(LayerArn(Layer, 2), Str(byArn["LayerVersionArn"]));

        var layers = await _cli.JsonAsync("lambda", "list-layers");
        var ours = layers["Layers"]!.AsArray().Single(l => Str(l!["LayerName"]) == Layer)!;
        Assert.Equal(LayerArn(Layer), Str(ours["LayerArn"]));
        Assert.Equal(2, ours["LatestMatchingVersion"]!["Version"]!.GetValue<long>());
        var versions = await _cli.JsonAsync("lambda", "list-layer-versions", "--layer-name", Layer);
        Assert.Equal([2L, 1L], versions["LayerVersions"]!.AsArray().Select(v => v!["Version"]!.GetValue<long>()));

        var function = await _cli.JsonAsync("lambda", "create-function", "--function-name", "cli-layered", "--runtime", Runtime, "--role", Role,
            "--handler", "index.handler", "--zip-file", FileB("f.zip", Handler(3)), "--layers", LayerArn(Layer, 1));
        Assert.Equal($$"""[{"Arn":"{{LayerArn(Layer, 1)}}","CodeSize":{{content1.Length}}}]""", function["Layers"]!.ToJsonString());

        var deleted = await _cli.RunAsync("lambda", "delete-layer-version", "--layer-name", Layer, "--version-number", "1");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.Equal(new CliError("ResourceNotFoundException", "GetLayerVersion", "The resource you requested does not exist."),
            await _cli.ErrorAsync("lambda", "get-layer-version", "--layer-name", Layer, "--version-number", "1"));
        using var client = fixture.Client();
        var config = await client.GetAsync("/2015-03-31/functions/cli-layered/configuration");
        Assert.Equal(LayerArn(Layer, 1), Str(config.Json["Layers"]![0]!["Arn"]));
    }
}
