using Lamina.Tests.Support;
using static Lamina.Tests.E2e.E2eHelpers;

namespace Lamina.Tests.E2e;

/// <summary>
/// Account-wide behaviour through the real AWS CLI: tags, reserved and provisioned concurrency, account
/// settings, listing 120 functions page by page, and the error responses clients see. A separate class
/// from <see cref="ControlPlaneCliTests"/> so that the two run in parallel, each against its own server.
/// </summary>
public sealed class ControlPlaneCliAccountTests(LaminaFixture fixture) : IClassFixture<LaminaFixture>, IDisposable
{
    private readonly AwsCli _cli = new(fixture);
    private readonly string _dir = TempDirs.Create("lamina-cli");

    public void Dispose() => TempDirs.Delete(_dir);

    private string FileB(string fileName, byte[] bytes) => E2eHelpers.FileB(_dir, fileName, bytes);

    [Fact]
    public async Task TagsAndConcurrency_TagReserveProvisionAndRelease()
    {
        const string Name = "cli-tags";
        using var client = fixture.Client();
        await CreateRawAsync(client, Name, Handler(1), publish: true);
        var arn = Arn(Name);

        var tagged = await _cli.RunAsync("lambda", "tag-resource", "--resource", arn, "--tags", "team=lamina,env=test,tier=gold");
        Assert.True(tagged.ExitCode == 0, tagged.ToString());
        var untagged = await _cli.RunAsync("lambda", "untag-resource", "--resource", arn, "--tag-keys", "env", "tier", "absent");
        Assert.True(untagged.ExitCode == 0, untagged.ToString());
        Assert.Equal("""{"Tags":{"team":"lamina"}}""", (await _cli.JsonAsync("lambda", "list-tags", "--resource", arn)).ToJsonString());
        Assert.Equal(new CliError("InvalidParameterValueException", "TagResource",
                "Tags on function aliases and versions are not supported. Please specify a function ARN."),
            await _cli.ErrorAsync("lambda", "tag-resource", "--resource", Arn(Name, "1"), "--tags", "a=b"));

        var initial = await _cli.JsonAsync("lambda", "get-account-settings");
        var before = initial["AccountLimit"]!["UnreservedConcurrentExecutions"]!.GetValue<int>();
        var extra = Handler(77);
        await CreateRawAsync(client, "cli-tags-usage", extra);
        var reserved = await _cli.JsonAsync("lambda", "put-function-concurrency", "--function-name", Name, "--reserved-concurrent-executions", "10");
        Assert.Equal("""{"ReservedConcurrentExecutions":10}""", reserved.ToJsonString());
        Assert.Equal("""{"ReservedConcurrentExecutions":10}""",
            (await _cli.JsonAsync("lambda", "get-function-concurrency", "--function-name", Name)).ToJsonString());
        var withTags = await _cli.JsonAsync("lambda", "get-function", "--function-name", Name);
        Assert.Equal("""{"team":"lamina"}""", withTags["Tags"]!.ToJsonString());
        Assert.Equal("""{"ReservedConcurrentExecutions":10}""", withTags["Concurrency"]!.ToJsonString());
        var settings = await _cli.JsonAsync("lambda", "get-account-settings");
        Assert.Equal(before - 10, settings["AccountLimit"]!["UnreservedConcurrentExecutions"]!.GetValue<int>());
        Assert.Equal(1000, settings["AccountLimit"]!["ConcurrentExecutions"]!.GetValue<int>());
        Assert.Equal(52_428_800, settings["AccountLimit"]!["CodeSizeZipped"]!.GetValue<long>());
        Assert.Equal(262_144_000, settings["AccountLimit"]!["CodeSizeUnzipped"]!.GetValue<long>());
        Assert.Equal(initial["AccountUsage"]!["FunctionCount"]!.GetValue<long>() + 1, settings["AccountUsage"]!["FunctionCount"]!.GetValue<long>());
        Assert.Equal(initial["AccountUsage"]!["TotalCodeSize"]!.GetValue<long>() + extra.Length,
            settings["AccountUsage"]!["TotalCodeSize"]!.GetValue<long>());

        var provisioned = await _cli.JsonAsync("lambda", "put-provisioned-concurrency-config", "--function-name", Name, "--qualifier", "1",
            "--provisioned-concurrent-executions", "4");
        Assert.Equal(4, provisioned["RequestedProvisionedConcurrentExecutions"]!.GetValue<int>());
        Assert.Contains(Str(provisioned["Status"]), new[] { "IN_PROGRESS", "READY" });
        var pc = await _cli.JsonAsync("lambda", "get-provisioned-concurrency-config", "--function-name", Name, "--qualifier", "1");
        Assert.Equal(4, pc["RequestedProvisionedConcurrentExecutions"]!.GetValue<int>());
        var pcs = await _cli.JsonAsync("lambda", "list-provisioned-concurrency-configs", "--function-name", Name);
        var item = pcs["ProvisionedConcurrencyConfigs"]!.AsArray().Single()!;
        Assert.Equal(Arn(Name, "1"), Str(item["FunctionArn"]));
        Assert.Equal(4, item["RequestedProvisionedConcurrentExecutions"]!.GetValue<int>());
        Assert.Equal(new CliError("InvalidParameterValueException", "PutProvisionedConcurrencyConfig",
                "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function"),
            await _cli.ErrorAsync("lambda", "put-provisioned-concurrency-config", "--function-name", Name, "--qualifier", "1",
                "--provisioned-concurrent-executions", "11"));
        var pcDeleted = await _cli.RunAsync("lambda", "delete-provisioned-concurrency-config", "--function-name", Name, "--qualifier", "1");
        Assert.True(pcDeleted.ExitCode == 0, pcDeleted.ToString());
        Assert.Equal(new CliError("ProvisionedConcurrencyConfigNotFoundException", "GetProvisionedConcurrencyConfig",
                "No Provisioned Concurrency Config found for this function"),
            await _cli.ErrorAsync("lambda", "get-provisioned-concurrency-config", "--function-name", Name, "--qualifier", "1"));

        var released = await _cli.RunAsync("lambda", "delete-function-concurrency", "--function-name", Name);
        Assert.True(released.ExitCode == 0, released.ToString());
        Assert.Equal("{}", (await _cli.JsonAsync("lambda", "get-function-concurrency", "--function-name", Name)).ToJsonString());
        var after = await client.GetAsync("/2016-08-19/account-settings");
        Assert.Equal(before, after.Json["AccountLimit"]!["UnreservedConcurrentExecutions"]!.GetValue<int>());
    }

    [Fact]
    public async Task ListFunctions_120Functions_TokensMarkersAndAllVersionsSeeEachOnce()
    {
        const string Prefix = "cli-page-";
        const int Count = 120;
        using var client = fixture.Client();
        var names = Enumerable.Range(0, Count).Select(i => $"{Prefix}{i:D3}").ToList();
        var code = Handler(4);
        foreach (var chunk in names.Chunk(8))
        {
            await Task.WhenAll(chunk.Select(name => CreateRawAsync(client, name, code)));
        }

        await PublishRawAsync(client, names[7], Handler(5), "1");

        // The CLI paginator: --max-items cuts pages into 35-item slices, --page-size sends MaxItems=20, and
        // --starting-token resumes (mid-page tokens re-send an earlier Marker and skip what was already shown).
        var seenByToken = new List<string>();
        string? token = null;
        var calls = 0;
        do
        {
            var args = new List<string> { "lambda", "list-functions", "--max-items", "35", "--page-size", "20" };
            if (token is not null)
            {
                args.AddRange(["--starting-token", token]);
            }

            var page = await _cli.JsonAsync([.. args]);
            var functions = page["Functions"]!.AsArray();
            Assert.True(functions.Count <= 35, $"--max-items 35 returned {functions.Count}");
            seenByToken.AddRange(functions.Select(f => Str(f!["FunctionName"])));
            token = page["NextToken"]?.GetValue<string>();
            Assert.True(++calls <= 10, "the CLI paginator did not finish in 10 calls");
        }
        while (token is not null);

        Assert.Equal(seenByToken.Count, seenByToken.Distinct().Count());
        Assert.Equal(names, seenByToken.Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal));

        // One API call per CLI run: MaxItems/Marker/NextMarker as the API defines them, pages capped at 50.
        var seenByMarker = new List<string>();
        string? marker = null;
        calls = 0;
        do
        {
            var args = new List<string> { "lambda", "list-functions", "--no-paginate", "--max-items", "50" };
            if (marker is not null)
            {
                args.AddRange(["--marker", marker]);
            }

            var page = await _cli.JsonAsync([.. args]);
            var functions = page["Functions"]!.AsArray();
            marker = page["NextMarker"]?.GetValue<string>();
            Assert.True(functions.Count == 50 || marker is null, $"a page of {functions.Count} with NextMarker {marker}");
            Assert.Null(page["NextToken"]);
            seenByMarker.AddRange(functions.Select(f => Str(f!["FunctionName"])));
            Assert.True(++calls <= 10, "NextMarker did not run out in 10 calls");
        }
        while (marker is not null);

        Assert.Equal(seenByToken, seenByMarker);

        var all = await _cli.JsonAsync("lambda", "list-functions", "--function-version", "ALL", "--page-size", "50");
        var arns = all["Functions"]!.AsArray().Select(f => Str(f!["FunctionArn"])).ToList();
        Assert.Equal(arns.Count, arns.Distinct().Count());
        Assert.Equal(names.Select(n => Arn(n, "$LATEST")).Append(Arn(names[7], "1")).Order(StringComparer.Ordinal),
            arns.Where(a => a.Contains($":function:{Prefix}", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        var listed = all["Functions"]!.AsArray().First(f => Str(f!["FunctionArn"]) == Arn(names[7], "1"))!;
        Assert.Equal("1", Str(listed["Version"]));
        Assert.Null(listed["State"]);
    }

    [Fact]
    public async Task Errors_ClientsSeeAwsErrorCodesAndMessages()
    {
        const string Name = "cli-errors";
        using var client = fixture.Client();
        await CreateRawAsync(client, Name, Handler(1));
        var handler = FileB("h.zip", Handler(1));
        string[] Create(string name, params string[] extra) =>
            ["lambda", "create-function", "--function-name", name, "--runtime", Runtime, "--role", Role, "--handler", "index.handler", .. extra];

        // Incompressible packages, stored uncompressed so the CLI accepts them as zips: 52.5 MB is over the
        // 50 MB zip limit yet its base64 body is under 70 MB; 54 MB makes a 72 MB body, over the request limit.
        var overZipLimit = FileB("over-zip.zip", StoredZip(52_500_000));
        var overRequestLimit = FileB("over-request.zip", StoredZip(54_000_000));
        var wrongSecret = new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = fixture.AccessKeyId, ["AWS_SECRET_ACCESS_KEY"] = "not-the-secret" };
        var unknownKey = new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = "AKIAUNKNOWNKEY000000", ["AWS_SECRET_ACCESS_KEY"] = "secret" };

        // Independent failures: run them two at a time (one per core).
        var cases = new (CliError Expected, Func<Task<CliError>> Run)[]
        {
            (new("ResourceNotFoundException", "GetFunction", $"Function not found: {Arn("cli-missing")}"),
                () => _cli.ErrorAsync("lambda", "get-function", "--function-name", "cli-missing")),
            (new("ResourceNotFoundException", "DeleteFunction", $"Function not found: {Arn("cli-missing")}"),
                () => _cli.ErrorAsync("lambda", "delete-function", "--function-name", "cli-missing", "--qualifier", "3")),
            (new("ResourceConflictException", "CreateFunction", $"Function already exist: {Name}"),
                () => _cli.ErrorAsync(Create(Name, "--zip-file", handler))),
            (new("ValidationException", "CreateFunction",
                    "1 validation error detected: Value '20000' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240"),
                () => _cli.ErrorAsync(Create("cli-mem", "--zip-file", handler, "--memory-size", "20000"))),
            (new("ValidationException", "UpdateFunctionConfiguration",
                    "1 validation error detected: Value '1200' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900"),
                () => _cli.ErrorAsync("lambda", "update-function-configuration", "--function-name", Name, "--timeout", "1200")),
            (new("InvalidParameterValueException", "DeleteFunction", "$LATEST version cannot be deleted without deleting the function."),
                () => _cli.ErrorAsync("lambda", "delete-function", "--function-name", Name, "--qualifier", "$LATEST")),
            (new("InvalidParameterValueException", "CreateFunction",
                    "Lamina does not read code from S3 (S3Bucket/S3Key). Upload the package directly as ZipFile, e.g. 'aws lambda create-function --zip-file fileb://function.zip'."),
                () => _cli.ErrorAsync(Create("cli-s3", "--code", "S3Bucket=my-bucket,S3Key=code.zip"))),
            (new("InvalidSignatureException", "ListFunctions",
                    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."),
                () => _cli.ErrorWithAsync(wrongSecret, "lambda", "list-functions")),
            (new("UnrecognizedClientException", "ListFunctions", "The security token included in the request is invalid."),
                () => _cli.ErrorWithAsync(unknownKey, "lambda", "list-functions")),
            (new("RequestEntityTooLargeException", "CreateFunction", "Zipped size must be smaller than 52428800 bytes"),
                () => _cli.ErrorAsync(Create("cli-big", "--zip-file", overZipLimit))),
            (new("RequestEntityTooLargeException", "CreateFunction", "Request must be smaller than 70167211 bytes for the CreateFunction operation"),
                () => _cli.ErrorAsync(Create("cli-huge", "--zip-file", overRequestLimit))),
        };
        foreach (var pair in cases.Chunk(2))
        {
            var actual = await Task.WhenAll(pair.Select(c => c.Run()));
            for (var i = 0; i < pair.Length; i++)
            {
                Assert.Equal(pair[i].Expected, actual[i]);
            }
        }

        // Nothing was created by the failed calls, and the existing function was not changed.
        foreach (var name in new[] { "cli-mem", "cli-s3", "cli-big", "cli-huge" })
        {
            Assert.Equal(404, (await client.GetAsync($"/2015-03-31/functions/{name}")).Status);
        }

        var config = await client.GetAsync($"/2015-03-31/functions/{Name}/configuration");
        Assert.Equal(3, config.Json["Timeout"]!.GetValue<int>());
    }
}
