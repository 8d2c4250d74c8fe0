using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Lamina.Tests.Support;

namespace Lamina.Tests.Runtimes;

/// <summary>
/// The dotnet10 managed runtime end to end: real Lamina server, real sandboxes, the published runtime at
/// /var/runtime and published test functions (tests/functions/dotnet) in /var/task.
/// </summary>
public sealed class DotnetRuntimeTests(LaminaFixture lamina, DotnetFunctions functions)
    : IClassFixture<LaminaFixture>, IClassFixture<DotnetFunctions>
{
    private const string Handlers = "HelloDotnet::HelloDotnet.StaticHandlers::";
    private const string Timestamp = @"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z";

    [Fact]
    public async Task ClassLibrary_EachSignature_ReturnsItsResult()
    {
        using var client = lamina.Client();
        var names = new[] { "Greet", "Echo", "GreetAsync", "Nothing", "Camel", "Kind" };
        await Task.WhenAll(names.Select(n => CreateAsync(client, $"dn-{n.ToLowerInvariant()}", Handlers + n, functions.ClassLibraryZip)));
        var greeting = new { name = "World", count = 21 };
        var responses = await Task.WhenAll(names.Select(n => InvokeAsync(client, $"dn-{n.ToLowerInvariant()}", greeting, tail: true)));
        Assert.All(responses, r => Assert.False(r.Headers.ContainsKey("X-Amz-Function-Error"), r.ToString()));

        // POCO in and out through the assembly's DefaultLambdaJsonSerializer: case-insensitive in, PascalCase out, nulls left out.
        Assert.Equal("""{"Message":"Hello, World!","Doubled":42}""", responses[0].Text);
        // Stream in and out: the event's bytes as sent, no serializer involved.
        Assert.Equal("""raw:{"name":"World","count":21}""", responses[1].Text);
        // async Task<T> with the context.
        Assert.Matches("""^\{"Message":"Later, World \([0-9a-f-]{36}\)","Doubled":42\}$""", responses[2].Text);
        // void: an empty response; the logger line proves the handler ran.
        Assert.Equal(200, responses[3].Status);
        Assert.Matches($@"(?m)^{Timestamp}\t[0-9a-f-]{{36}}\tinfo\tvoid handler saw World$", TailLog(responses[3]));
        // A method-level [LambdaSerializer] wins over the assembly's.
        Assert.Equal("""{"message":"World","doubled":42}""", responses[4].Text);
        // An object parameter is deserialized too (System.Text.Json gives a JsonElement); only Stream gets the raw bytes.
        Assert.Equal("\"JsonElement\"", responses[5].Text);
    }

    [Fact]
    public async Task ClassLibrary_Context_CarriesInvocationValuesAndLogsAsText()
    {
        using var client = lamina.Client();
        await CreateAsync(client, "dn-context", Handlers + "Context", functions.ClassLibraryZip);
        var clientContext = Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"custom":{"tenant":"blue"}}"""));
        var response = await client.SendAsync(HttpMethod.Post, "/2015-03-31/functions/dn-context/invocations", new { },
            headers: new Dictionary<string, string> { ["X-Amz-Log-Type"] = "Tail", ["X-Amz-Client-Context"] = clientContext });
        Assert.False(response.Headers.ContainsKey("X-Amz-Function-Error"), response.ToString());

        var report = response.Json;
        string Text(string name) => report[name]!.GetValue<string>();
        var requestId = Text("AwsRequestId");
        Assert.Matches("^[0-9a-f-]{36}$", requestId);
        Assert.Equal("dn-context", Text("FunctionName"));
        Assert.Equal("$LATEST", Text("FunctionVersion"));
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:function:dn-context", Text("InvokedFunctionArn"));
        Assert.Equal("/aws/lambda/dn-context", Text("LogGroupName"));
        Assert.Matches(@"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$", Text("LogStreamName"));
        Assert.Equal(1769, report["MemoryLimitInMB"]!.GetValue<int>());
        Assert.InRange(report["RemainingTimeMs"]!.GetValue<double>(), 1_000, 30_000);
        Assert.StartsWith("Root=1-", Text("TraceId"), StringComparison.Ordinal);
        Assert.Equal(Text("TraceId"), Text("TraceVariable"));
        Assert.Equal("blue", report["ClientCustom"]!["tenant"]!.GetValue<string>());
        Assert.False(report["HasIdentity"]!.GetValue<bool>());
        Assert.Equal("AWS_Lambda_dotnet10", Text("ExecutionEnv"));
        Assert.Equal("0x" + (1769L * 1024 * 1024).ToString("x", System.Globalization.CultureInfo.InvariantCulture), Text("GcHeapHardLimit"));
        Assert.Equal("/var/task", Text("WorkingDirectory"));

        // Console.Out, Console.Error, ILambdaLogger (with a template) and the static LambdaLogger all log through the runtime.
        var log = TailLog(response);
        var id = Regex.Escape(requestId);
        Assert.Matches($@"(?m)^{Timestamp}\t{id}\tinfo\tconsole line$", log);
        Assert.Matches($@"(?m)^{Timestamp}\t{id}\tfail\tconsole error line$", log);
        Assert.Matches($@"(?m)^{Timestamp}\t{id}\tinfo\tlogger information$", log);
        Assert.Matches($@"(?m)^{Timestamp}\t{id}\twarn\twarning 3 items$", log);
        Assert.Matches($@"(?m)^{Timestamp}\t{id}\tinfo\tstatic logger line$", log);
    }

    [Fact]
    public async Task ClassLibrary_JsonLogFormat_WritesJsonRecordsAtOrAboveTheLevel()
    {
        using var client = lamina.Client();
        await CreateAsync(client, "dn-jsonlog", Handlers + "Context", functions.ClassLibraryZip,
            logging: new { LogFormat = "JSON", ApplicationLogLevel = "WARN" });
        var response = await InvokeAsync(client, "dn-jsonlog", new { }, tail: true);
        var requestId = response.Json["AwsRequestId"]!.GetValue<string>();
        var records = TailLog(response).Split('\n')
            .Where(line => line.StartsWith('{') && line.Contains("\"requestId\"", StringComparison.Ordinal))
            .Select(line => JsonNode.Parse(line)!)
            .Where(record => record["message"] is not null)
            .ToList();

        // Information records (console line, logger information, static logger) fall below WARN.
        Assert.Equal(["console error line", "warning 3 items"], records.Select(r => r["message"]!.GetValue<string>()));
        Assert.Equal(["Error", "Warning"], records.Select(r => r["level"]!.GetValue<string>()));
        Assert.All(records, r => Assert.Equal(requestId, r["requestId"]!.GetValue<string>()));
        Assert.All(records, r => Assert.Matches($"^{Timestamp}$", r["timestamp"]!.GetValue<string>()));
        Assert.Equal(3, records[1]["Count"]!.GetValue<int>());
    }

    [Fact]
    public async Task ClassLibrary_Exception_ErrorPayloadWithTypeStackAndCause()
    {
        using var client = lamina.Client();
        await CreateAsync(client, "dn-throw", Handlers + "Throw", functions.ClassLibraryZip);
        var response = await InvokeAsync(client, "dn-throw", new { name = "Oops" }, tail: true);

        Assert.Equal(200, response.Status);
        Assert.Equal("Unhandled", response.Headers["X-Amz-Function-Error"]);
        var error = response.Json;
        Assert.Equal("InvalidOperationException", error["errorType"]!.GetValue<string>());
        Assert.Equal("boom Oops", error["errorMessage"]!.GetValue<string>());
        var stack = error["stackTrace"]!.AsArray().Select(f => f!.GetValue<string>()).ToList();
        Assert.StartsWith("at HelloDotnet.StaticHandlers.Throw(Greeting input)", stack[0], StringComparison.Ordinal);
        Assert.DoesNotContain(stack, f => f.Contains("Lamina.", StringComparison.Ordinal));
        Assert.Equal("ArgumentException", error["cause"]!["errorType"]!.GetValue<string>());
        Assert.Equal("inner cause", error["cause"]!["errorMessage"]!.GetValue<string>());
        Assert.Matches($@"(?m)^{Timestamp}\t[0-9a-f-]{{36}}\tfail\tSystem.InvalidOperationException: boom Oops$", TailLog(response));

        // The environment survives a handled exception.
        var again = await InvokeAsync(client, "dn-throw", new { name = "Again" });
        Assert.Equal("boom Again", again.Json["errorMessage"]!.GetValue<string>());
    }

    [Fact]
    public async Task ClassLibrary_InstanceHandler_ConstructedOnceAcrossWarmInvokes()
    {
        using var client = lamina.Client();
        await CreateAsync(client, "dn-counter", "HelloDotnet::HelloDotnet.Counter::Next", functions.ClassLibraryZip);
        var first = await InvokeAsync(client, "dn-counter", new { });
        var second = await InvokeAsync(client, "dn-counter", new { });
        Assert.Equal("""{"Constructed":1,"Calls":1}""", first.Text);
        Assert.Equal("""{"Constructed":1,"Calls":2}""", second.Text);
    }

    [Fact]
    public async Task Executable_OwnRuntimeLoop_ServesResultsErrorsAndLogs()
    {
        using var client = lamina.Client();
        await CreateAsync(client, "dn-exe", "HelloExecutable", functions.ExecutableZip);
        var ok = await InvokeAsync(client, "dn-exe", new { name = "Exe" }, tail: true);
        Assert.False(ok.Headers.ContainsKey("X-Amz-Function-Error"), ok.ToString());
        Assert.Equal("executable", ok.Json["Mode"]!.GetValue<string>());
        Assert.Equal("Hi, Exe", ok.Json["Message"]!.GetValue<string>());
        Assert.Equal("dn-exe", ok.Json["FunctionName"]!.GetValue<string>());
        Assert.InRange(ok.Json["RemainingTimeMs"]!.GetValue<double>(), 1_000, 30_000);
        var id = Regex.Escape(ok.Json["RequestId"]!.GetValue<string>());
        Assert.Matches($@"(?m)^{Timestamp}\t{id}\tinfo\texecutable saw Exe$", TailLog(ok));
        Assert.Matches($@"(?m)^{Timestamp}\t{id}\tinfo\tfrom the context logger$", TailLog(ok));

        var failed = await InvokeAsync(client, "dn-exe", new { name = "Exe", fail = true });
        Assert.Equal("Unhandled", failed.Headers["X-Amz-Function-Error"]);
        Assert.Equal("InvalidDataException", failed.Json["errorType"]!.GetValue<string>());
        Assert.Equal("asked to fail", failed.Json["errorMessage"]!.GetValue<string>());
        Assert.NotEmpty(failed.Json["stackTrace"]!.AsArray());
    }

    [Fact]
    public async Task HandlerString_Invalid_InitErrorAsAwsReportsIt()
    {
        var cases = new (string Handler, string Message)[]
        {
            ("HelloDotnet::HelloDotnet.StaticHandlers",
                "Invalid lambda function handler: 'HelloDotnet::HelloDotnet.StaticHandlers'. The valid format is 'ASSEMBLY::TYPE::METHOD'."),
            ("NoSuchAssembly::A.B::C",
                "Could not find the specified handler assembly with the file name 'NoSuchAssembly, Culture=neutral, PublicKeyToken=null'. The assembly should be located in the root of your uploaded .zip file."),
            ("HelloDotnet::HelloDotnet.NoSuchType::Greet", "Unable to load type 'HelloDotnet.NoSuchType' from assembly 'HelloDotnet'."),
            ("HelloDotnet::HelloDotnet.StaticHandlers::NoSuchMethod",
                "Unable to find method 'NoSuchMethod' in type 'HelloDotnet.StaticHandlers' from assembly 'HelloDotnet': Found no methods matching method name 'NoSuchMethod'."),
        };
        using var client = lamina.Client();
        await Task.WhenAll(cases.Select((c, i) => CreateAsync(client, $"dn-bad-{i}", c.Handler, functions.ClassLibraryZip)));
        var responses = await Task.WhenAll(cases.Select((_, i) => InvokeAsync(client, $"dn-bad-{i}", new { })));
        for (var i = 0; i < cases.Length; i++)
        {
            Assert.Equal(200, responses[i].Status);
            Assert.Equal("Unhandled", responses[i].Headers["X-Amz-Function-Error"]);
            Assert.Equal("LambdaValidationException", responses[i].Json["errorType"]!.GetValue<string>());
            Assert.Equal(cases[i].Message, responses[i].Json["errorMessage"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task AwsCli_ResultErrorAndTimeout_AsTheCliReportsThem()
    {
        using var client = lamina.Client();
        await Task.WhenAll(CreateAsync(client, "dn-cli", Handlers + "Greet", functions.ClassLibraryZip),
            CreateAsync(client, "dn-cli-throw", Handlers + "Throw", functions.ClassLibraryZip),
            CreateAsync(client, "dn-cli-slow", Handlers + "Sleep", functions.ClassLibraryZip, timeout: 2));
        var cli = new AwsCli(lamina);

        var results = await Task.WhenAll(cli.InvokeAsync("dn-cli", new { name = "CLI", count = 4 }),
            cli.InvokeAsync("dn-cli-throw", new { name = "CLI" }), cli.InvokeAsync("dn-cli-slow", new { name = "late", count = 10 }));

        Assert.True(results[0].FunctionError is null, results[0].ToString());
        Assert.Equal("$LATEST", results[0].ExecutedVersion);
        Assert.Equal("""{"Message":"Hello, CLI!","Doubled":8}""", results[0].Payload);
        Assert.Equal("Unhandled", results[1].FunctionError);
        Assert.Equal("InvalidOperationException", results[1].Json["errorType"]!.GetValue<string>());
        Assert.Equal("boom CLI", results[1].Json["errorMessage"]!.GetValue<string>());
        Assert.Equal("Unhandled", results[2].FunctionError);
        Assert.Equal("Sandbox.Timedout", results[2].Json["errorType"]!.GetValue<string>());
        Assert.Matches(@"^RequestId: [0-9a-f-]{36} Error: Task timed out after 2\.00 seconds$", results[2].Json["errorMessage"]!.GetValue<string>());
    }

    [Fact]
    public async Task AwsCli_HelloWithEnvironmentLayerAndTmp_WarmInvokeKeepsTmp()
    {
        var dir = TempDirs.Create("lamina-dotnet-cli");
        try
        {
            var cli = new AwsCli(lamina);
            var layer = await cli.JsonAsync("lambda", "publish-layer-version", "--layer-name", "dn-matrix-layer",
                "--zip-file", E2e.E2eHelpers.FileB(dir, "layer.zip", MatrixFunctions.LayerZip()));
            var created = await cli.JsonAsync("lambda", "create-function", "--function-name", "dn-cli-hello", "--runtime", "dotnet10",
                "--role", "arn:aws:iam::000000000000:role/lambda-role", "--handler", Handlers + "Hello",
                "--zip-file", E2e.E2eHelpers.FileB(dir, "fn.zip", functions.ClassLibraryZip), "--memory-size", "1769", "--timeout", "30",
                "--environment", """{"Variables":{"GREETING":"hello, from the CLI"}}""", "--layers", layer["LayerVersionArn"]!.GetValue<string>());
            Assert.Equal("dotnet10", created["Runtime"]!.GetValue<string>());

            var first = await cli.InvokeAsync("dn-cli-hello", new { name = "one" }, tail: true);
            await FunctionLogs.AssertNoFunctionErrorAsync(lamina, "dn-cli-hello", first);
            Assert.Equal("hello, from the CLI", first.Json["Greeting"]!.GetValue<string>());
            Assert.Equal("dotnet layer file", first.Json["Layer"]!.GetValue<string>());
            Assert.Equal("one\n", first.Json["Tmp"]!.GetValue<string>());
            Assert.Contains("Init Duration", first.TailLog, StringComparison.Ordinal);

            var second = await cli.InvokeAsync("dn-cli-hello", new { name = "two" }, tail: true);
            await FunctionLogs.AssertNoFunctionErrorAsync(lamina, "dn-cli-hello", second);
            Assert.Equal(first.Json["Env"]!.GetValue<string>(), second.Json["Env"]!.GetValue<string>());
            Assert.Equal("one\ntwo\n", second.Json["Tmp"]!.GetValue<string>());
            Assert.DoesNotContain("Init Duration", second.TailLog, StringComparison.Ordinal);
        }
        finally
        {
            TempDirs.Delete(dir);
        }
    }

    [Fact]
    public async Task AwsCli_OutOfMemory_ReportedAsLambdaDoes_ThenRecovers()
    {
        using var client = lamina.Client();
        await CreateAsync(client, "dn-cli-oom", Handlers + "Allocate", functions.ClassLibraryZip, memory: 256);
        var cli = new AwsCli(lamina);

        var killed = await cli.InvokeAsync("dn-cli-oom", new { name = "hungry", count = 1 }, tail: true);
        Assert.Equal("Unhandled", killed.FunctionError);
        Assert.True(killed.Json["errorType"]!.GetValue<string>() == "Runtime.OutOfMemory", killed.ToString());
        Assert.Matches(@"^RequestId: [0-9a-f-]{36} Error: Runtime exited with error: signal: killed$", killed.Json["errorMessage"]!.GetValue<string>());
        Assert.Contains("Max Memory Used: 256 MB", killed.TailLog, StringComparison.Ordinal);

        // The next invoke gets a fresh environment.
        var again = await cli.InvokeAsync("dn-cli-oom", new { name = "again", count = 0 });
        Assert.True(again.FunctionError is null, again.ToString());
        Assert.Equal("""{"Message":"Hello, again!","Doubled":0}""", again.Payload);
    }

    private static async Task CreateAsync(AwsClient client, string name, string handler, byte[] zip, object? logging = null, int timeout = 30,
        int memory = 1769)
    {
        var created = await client.PostAsync("/2015-03-31/functions", new
        {
            FunctionName = name,
            Runtime = "dotnet10",
            Role = "arn:aws:iam::000000000000:role/lambda-role",
            Handler = handler,
            Code = new { ZipFile = Convert.ToBase64String(zip) },
            // CPU is proportional to memory; 1769 MB is one full vCPU, which .NET's JIT-heavy cold start needs.
            MemorySize = memory,
            Timeout = timeout,
            LoggingConfig = logging,
        });
        Assert.True(created.Status == 201, created.ToString());
    }

    private static Task<AwsResponse> InvokeAsync(AwsClient client, string name, object payload, bool tail = false) =>
        client.SendAsync(HttpMethod.Post, $"/2015-03-31/functions/{name}/invocations", payload,
            headers: tail ? new Dictionary<string, string> { ["X-Amz-Log-Type"] = "Tail" } : null);

    private static string TailLog(AwsResponse response) =>
        Encoding.UTF8.GetString(Convert.FromBase64String(response.Headers["X-Amz-Log-Result"]));
}
