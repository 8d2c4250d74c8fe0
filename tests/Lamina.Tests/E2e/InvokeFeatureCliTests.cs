using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Lamina.Tests.Support;
using static Lamina.Tests.E2e.E2eHelpers;

namespace Lamina.Tests.E2e;

/// <summary>
/// Invoke features through real clients and managed runtimes: 20 concurrent boto3 invokes, throttling as the
/// CLI reports it, provisioned concurrency, a weighted alias, response streaming (boto3), an external
/// extension beside the Node.js runtime, and a custom runtime built on AWS's own runtime interface client.
/// <see cref="DataPlane.InvokeTests"/> and <see cref="DataPlane.EnvironmentFeatureTests"/> cover the same
/// platform behaviour over raw HTTP with a stdlib runtime; these prove the clients and runtimes agree.
/// </summary>
public sealed partial class InvokeFeatureCliTests(LaminaFixture fixture) : IClassFixture<LaminaFixture>, IDisposable
{
    private readonly AwsCli _cli = new(fixture);
    private readonly string _dir = TempDirs.Create("lamina-invoke-cli");

    public void Dispose() => TempDirs.Delete(_dir);

    // botocore's debug log of the error response ("Response body:" then the bytes literal on the next line).
    [GeneratedRegex(@"Response body:\s*b'(?<body>\{.*?\})'", RegexOptions.Singleline)]
    private static partial Regex ResponseBody();

    private async Task<string> CreateAsync(string name, string family, params string[] extra)
    {
        var (zip, handler) = MatrixFunctions.Package(family);
        return await CreateWithAsync(name, MatrixFunctions.Runtime(fixture, family), handler, zip, extra);
    }

    private async Task<string> CreateWithAsync(string name, string runtime, string handler, byte[] zip, params string[] extra)
    {
        var created = await _cli.JsonAsync(["lambda", "create-function", "--function-name", name, "--runtime", runtime, "--role", Role,
            "--handler", handler, "--zip-file", FileB(_dir, name + ".zip", zip), "--timeout", "30", .. extra]);
        return Str(created["FunctionArn"]);
    }

    /// <summary>Runs a boto3 script (stdin) with this server's client environment; the script prints one JSON document.</summary>
    private async Task<JsonNode> Boto3Async(string script, params string[] args)
    {
        var env = new Dictionary<string, string>(fixture.ClientEnvironment) { ["PYTHONUNBUFFERED"] = "1" };
        var result = await ProcessRunner.RunAsync("python3", ["-", .. args], env, stdin: script.Replace("\r", "", StringComparison.Ordinal),
            timeout: TimeSpan.FromMinutes(3));
        Assert.True(result.ExitCode == 0, $"boto3 script failed:\n{result}");
        return JsonNode.Parse(result.Stdout)!;
    }

    [Fact]
    public async Task Invoke_TwentyConcurrentBoto3Calls_AllSucceedInTwentyEnvironments()
    {
        await CreateAsync("feat-parallel", "nodejs", "--memory-size", "256");
        const string Script = """
            import boto3, json, sys
            from concurrent.futures import ThreadPoolExecutor
            from botocore.config import Config
            client = boto3.client('lambda', config=Config(max_pool_connections=20, read_timeout=120, retries={'max_attempts': 1}))
            def call(i):
                r = client.invoke(FunctionName=sys.argv[1], Payload=json.dumps({'action': 'sleep', 'seconds': 6}))
                return {'status': r['StatusCode'], 'error': r.get('FunctionError'), 'payload': json.loads(r['Payload'].read())}
            with ThreadPoolExecutor(20) as pool:
                print(json.dumps(list(pool.map(call, range(20)))))
            """;

        var results = (await Boto3Async(Script, "feat-parallel")).AsArray();

        Assert.Equal(20, results.Count);
        Assert.All(results, r => Assert.True(r!["status"]!.GetValue<int>() == 200 && r["error"] is null, r.ToJsonString()));
        // Each call held its environment for 6 s, and boto3 sent all 20 at once (well within that, even on a busy
        // 2-core machine), so no environment was free for a second call: no two shared one.
        Assert.Equal(20, results.Select(r => Str(r!["payload"]!["env"])).Distinct().Count());
    }

    [Fact]
    public async Task Invoke_ReservedConcurrencyOne_SecondCallTooManyRequestsWithReason()
    {
        await CreateAsync("feat-throttle", "python");
        Assert.Equal("""{"ReservedConcurrentExecutions":1}""",
            (await _cli.JsonAsync("lambda", "put-function-concurrency", "--function-name", "feat-throttle", "--reserved-concurrent-executions", "1"))
            .ToJsonString());

        // One call holds the only slot for 15 s (room for several CLI runs on a loaded machine); calls made meanwhile
        // are refused. Nothing is timed: the others start once the slow call's START line is logged, and keep coming
        // until one is refused or the slow call is back.
        var slow = _cli.InvokeAsync("feat-throttle", new { action = "sleep", seconds = 15 });
        var started = await FunctionLogs.LinesAsync(fixture, "feat-throttle", l => slow.IsCompleted || l.Exists(x => x.StartsWith("START ", StringComparison.Ordinal)), seconds: 60);
        Assert.True(started.Exists(x => x.StartsWith("START ", StringComparison.Ordinal)), "the slow call never started: " + string.Join('\n', started));
        ProcessResult? refused = null;
        for (var i = 0; i < 30 && refused is null && !slow.IsCompleted; i++)
        {
            var outFile = Path.Combine(_dir, $"throttle-{i}.out");
            var attempt = await _cli.RunAsync([.. AwsCli.InvokeArgs("feat-throttle", new { action = "echo" }, outFile), "--debug"]);
            if (attempt.ExitCode != 0)
            {
                refused = attempt;
            }
        }

        Assert.True(refused is not null, "no call was throttled while the only slot was taken");
        Assert.Contains("An error occurred (TooManyRequestsException) when calling the Invoke operation (reached max retries: 0): Rate Exceeded.",
            refused.Stderr, StringComparison.Ordinal);
        var body = JsonNode.Parse(ResponseBody().Match(refused.Stderr).Groups["body"].Value)!;
        Assert.Equal("ReservedFunctionConcurrentInvocationLimitExceeded", Str(body["Reason"]));
        Assert.Equal("User", Str(body["Type"]));

        var done = await slow;
        await FunctionLogs.AssertNoFunctionErrorAsync(fixture, "feat-throttle", done);
        var after = await _cli.InvokeAsync("feat-throttle", new { action = "echo" });
        await FunctionLogs.AssertNoFunctionErrorAsync(fixture, "feat-throttle", after);
    }

    [Fact]
    public async Task ProvisionedConcurrency_ReadyThroughCli_AnswersFromPrewarmedEnvironment()
    {
        await CreateAsync("feat-provisioned", "python", "--publish");
        var put = await _cli.JsonAsync("lambda", "put-provisioned-concurrency-config", "--function-name", "feat-provisioned", "--qualifier", "1",
            "--provisioned-concurrent-executions", "1");
        Assert.Equal(1, put["RequestedProvisionedConcurrentExecutions"]!.GetValue<int>());

        var config = put;
        for (var i = 0; i < 60 && Str(config["Status"]) != "READY"; i++)
        {
            Assert.NotEqual("FAILED", Str(config["Status"]));
            await Task.Delay(500);
            config = await _cli.JsonAsync("lambda", "get-provisioned-concurrency-config", "--function-name", "feat-provisioned", "--qualifier", "1");
        }

        Assert.Equal("READY", Str(config["Status"]));
        Assert.Equal(1, config["AllocatedProvisionedConcurrentExecutions"]!.GetValue<int>());

        var answered = await _cli.InvokeAsync("feat-provisioned", new { action = "env" }, qualifier: "1", tail: true);
        await FunctionLogs.AssertNoFunctionErrorAsync(fixture, "feat-provisioned", answered);
        Assert.Equal("1", answered.ExecutedVersion);
        Assert.Equal("provisioned-concurrency", Str(answered.Json["vars"]!["AWS_LAMBDA_INITIALIZATION_TYPE"]));
        Assert.Equal("1", Str(answered.Json["vars"]!["AWS_LAMBDA_FUNCTION_VERSION"]));
        Assert.DoesNotContain("Init Duration", answered.TailLog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WeightedAlias_CliInvokes_ExecuteBothVersionsWithTheirOwnConfiguration()
    {
        const string Name = "feat-alias";
        await CreateAsync(Name, "nodejs", "--publish");
        await _cli.JsonAsync("lambda", "update-function-configuration", "--function-name", Name,
            "--environment", """{"Variables":{"GREETING":"version two"}}""");
        Assert.Equal("2", Str((await _cli.JsonAsync("lambda", "publish-version", "--function-name", Name))["Version"]));
        var alias = await _cli.JsonAsync("lambda", "create-alias", "--function-name", Name, "--name", "live", "--function-version", "1",
            "--routing-config", """{"AdditionalVersionWeights":{"2":0.5}}""");
        Assert.Equal("""{"2":0.5}""", alias["RoutingConfig"]!["AdditionalVersionWeights"]!.ToJsonString());

        // At 50/50, 40 calls all landing on one version has probability 2^-39; stop once both were seen.
        var seen = new Dictionary<string, string?>();
        for (var i = 0; i < 40 && seen.Count < 2; i++)
        {
            var result = await _cli.InvokeAsync(Name, new { action = "hello", value = i }, qualifier: "live");
            await FunctionLogs.AssertNoFunctionErrorAsync(fixture, Name, result);
            seen[result.ExecutedVersion] = result.Json["greeting"]?.GetValue<string>();
        }

        // Each version ran with its own configuration: only version 2 has the variable.
        Assert.Equal(new Dictionary<string, string?> { ["1"] = null, ["2"] = "version two" }, seen);
    }

    [Fact]
    public async Task InvokeWithResponseStream_Boto3_NodeChunksThenInvokeCompleteOrError()
    {
        var (zip, _) = MatrixFunctions.Package("nodejs");
        await CreateWithAsync("feat-stream", MatrixFunctions.Runtime(fixture, "nodejs"), "stream.handler", zip);
        const string Script = """
            import boto3, json, sys
            client = boto3.client('lambda')
            def run(payload):
                r = client.invoke_with_response_stream(FunctionName=sys.argv[1], Payload=json.dumps(payload))
                events = []
                for event in r['EventStream']:
                    if 'PayloadChunk' in event:
                        events.append({'chunk': event['PayloadChunk']['Payload'].decode()})
                    elif 'InvokeComplete' in event:
                        events.append({'complete': event['InvokeComplete']})
                return {'status': r['StatusCode'], 'version': r['ExecutedVersion'], 'contentType': r['ResponseStreamContentType'], 'events': events}
            print(json.dumps([run({'chunks': ['one ', 'two ', 'three']}), run({'chunks': ['partial'], 'fail': True})]))
            """;

        var runs = (await Boto3Async(Script, "feat-stream")).AsArray();

        var ok = runs[0]!;
        Assert.Equal(200, ok["status"]!.GetValue<int>());
        Assert.Equal("$LATEST", Str(ok["version"]));
        var events = ok["events"]!.AsArray();
        var chunks = events.Where(e => e!["chunk"] is not null).Select(e => Str(e!["chunk"])).ToList();
        Assert.Equal("one two three", string.Concat(chunks));
        Assert.True(chunks.Count >= 2, $"chunks should arrive as separate events: {events.ToJsonString()}");
        Assert.Equal("{}", events[^1]!["complete"]!.ToJsonString());

        var failed = runs[1]!["events"]!.AsArray();
        Assert.Equal("partial", Str(failed[0]!["chunk"]));
        var complete = failed[^1]!["complete"]!;
        Assert.Equal("StreamBroke", Str(complete["ErrorCode"]));
        Assert.Contains("broke mid-stream", Str(complete["ErrorDetails"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Extension_BesideNodeRuntime_RegistersGetsInvokeAndShutdown()
    {
        using var client = fixture.Client();
        var layer = await client.PostAsync("/2018-10-31/layers/feat-extension/versions",
            new { Content = new { ZipFile = Convert.ToBase64String(TestExtension.LayerZip()) } });
        Assert.True(layer.Status == 201, layer.ToString());
        await CreateAsync("feat-ext", "nodejs", "--layers", Str(layer.Json["LayerVersionArn"]));

        var result = await _cli.InvokeAsync("feat-ext", new { action = "echo", value = "seen" });
        await FunctionLogs.AssertNoFunctionErrorAsync(fixture, "feat-ext", result);
        Assert.Equal("seen", Str(result.Json["event"]!["value"]));

        var lines = await FunctionLogs.LinesAsync(fixture, "feat-ext", l => l.Exists(x => x.StartsWith("EXT INVOKE ", StringComparison.Ordinal)));
        // Registered with the function's name and no handler (an external extension, not the runtime), then one INVOKE.
        Assert.Contains("EXT registered feat-ext True False", lines);
        Assert.Single(lines, l => l.StartsWith("EXT INVOKE ", StringComparison.Ordinal));

        var deleted = await _cli.RunAsync("lambda", "delete-function", "--function-name", "feat-ext");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        lines = await FunctionLogs.LinesAsync(fixture, "feat-ext", l => l.Contains("EXT SHUTDOWN spindown"), seconds: 30);
        Assert.Contains("EXT SHUTDOWN spindown", lines);
    }

    [Fact]
    public async Task CustomRuntime_AwsLambdaRic_ServesResultsContextAndErrors()
    {
        var ric = Path.Combine(ProcessRunner.RepoRoot, "tests", "e2e", "node_modules", "aws-lambda-ric");
        // ./test installs the build tools its native module needs before npm ci; a failed build must fail here, not skip.
        Assert.True(File.Exists(Path.Combine(ric, "dist", "rapid-client.node")),
            "aws-lambda-ric is not installed in tests/e2e/node_modules: its native build needs autoconf, automake, libtool, cmake, g++ " +
            "and make (apt-get install autoconf automake libtool cmake g++ make, then rm -rf tests/e2e/node_modules and ./test again).");
        const string Bootstrap = """
            #!/bin/sh
            # provided.al2023 has no Node.js of its own; /usr/bin/node is the host's, as the sandbox mounts /usr.
            cd "$LAMBDA_TASK_ROOT"
            exec /usr/bin/node "$LAMBDA_TASK_ROOT/node_modules/aws-lambda-ric/bin/index.mjs" "$_HANDLER"
            """;
        const string Handler = """
            const envId = require('node:crypto').randomUUID();
            exports.handler = async (event, context) => {
              if (event.action === 'error') {
                const error = new Error('failed on purpose');
                error.name = 'TestError';
                throw error;
              }
              return { env: envId, event, functionName: context.functionName, requestId: context.awsRequestId,
                       remaining: context.getRemainingTimeInMillis() };
            };
            """;
        byte[] Read(string relative) => File.ReadAllBytes(Path.Combine(ric, relative));
        var zip = Zips.Executable(
            ("bootstrap", System.Text.Encoding.UTF8.GetBytes(Bootstrap.Replace("\r", "", StringComparison.Ordinal))),
            ("app.js", System.Text.Encoding.UTF8.GetBytes(Handler)),
            ("node_modules/aws-lambda-ric/package.json", Read("package.json")),
            ("node_modules/aws-lambda-ric/bin/index.mjs", Read("bin/index.mjs")),
            ("node_modules/aws-lambda-ric/dist/index.mjs", Read("dist/index.mjs")),
            ("node_modules/aws-lambda-ric/dist/rapid-client.node", Read("dist/rapid-client.node")));
        await CreateWithAsync("feat-ric", "provided.al2023", "app.handler", zip);

        var first = await _cli.InvokeAsync("feat-ric", new { greeting = "hi" });
        await FunctionLogs.AssertNoFunctionErrorAsync(fixture, "feat-ric", first);
        Assert.Equal("hi", Str(first.Json["event"]!["greeting"]));
        Assert.Equal("feat-ric", Str(first.Json["functionName"]));
        Assert.Matches("^[0-9a-f-]{36}$", Str(first.Json["requestId"]));
        Assert.InRange(first.Json["remaining"]!.GetValue<double>(), 1, 30_000);
        // The client's own start-up line (bin/index.mjs): it really is aws-lambda-ric answering.
        var lines = await FunctionLogs.LinesAsync(fixture, "feat-ric", l => l.Exists(x => x.Contains("Executing", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.EndsWith("Executing 'app.handler' in function directory '/var/task'", StringComparison.Ordinal));

        var failed = await _cli.InvokeAsync("feat-ric", new { action = "error" });
        Assert.Equal("Unhandled", failed.FunctionError);
        Assert.Equal("TestError", Str(failed.Json["errorType"]));
        Assert.Equal("failed on purpose", Str(failed.Json["errorMessage"]));

        var warm = await _cli.InvokeAsync("feat-ric", new { greeting = "again" });
        Assert.Equal(Str(first.Json["env"]), Str(warm.Json["env"]));
    }
}
