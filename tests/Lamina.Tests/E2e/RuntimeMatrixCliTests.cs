using Lamina.Tests.Support;
using static Lamina.Tests.E2e.E2eHelpers;

namespace Lamina.Tests.E2e;

/// <summary>
/// Every runtime family this host offers (the newest Node.js and Python, and provided.al2023) through the real
/// AWS CLI and real sandboxes: what <c>aws lambda invoke</c> prints and writes for a result, a handler error,
/// a timeout and an out-of-memory kill, with environment variables, a layer and /tmp in play. The managed
/// runtimes' own suites (Runtimes/) run their bootstraps against a fake Runtime API; this runs them in Lamina.
/// </summary>
public sealed class RuntimeMatrixCliTests(LaminaFixture fixture) : IClassFixture<LaminaFixture>, IDisposable
{
    private readonly AwsCli _cli = new(fixture);
    private readonly string _dir = TempDirs.Create("lamina-matrix");

    public void Dispose() => TempDirs.Delete(_dir);

    private async Task CreateAsync(string name, string family, params string[] extra)
    {
        var runtime = MatrixFunctions.Runtime(fixture, family);
        var (zip, handler) = MatrixFunctions.Package(family);
        var created = await _cli.JsonAsync(["lambda", "create-function", "--function-name", name, "--runtime", runtime, "--role", Role,
            "--handler", handler, "--zip-file", FileB(_dir, name + ".zip", zip), "--timeout", "30", .. extra]);
        Assert.Equal(runtime, Str(created["Runtime"]));
    }

    [Theory]
    [InlineData("nodejs")]
    [InlineData("python")]
    [InlineData("provided")]
    public async Task Invoke_HelloWithEnvironmentLayerAndTmp_ThenHandlerError(string family)
    {
        var name = $"matrix-{family}";
        using var client = fixture.Client();
        var layer = await client.PostAsync($"/2018-10-31/layers/matrix-{family}/versions",
            new { Content = new { ZipFile = Convert.ToBase64String(MatrixFunctions.LayerZip()) } });
        Assert.True(layer.Status == 201, layer.ToString());
        await CreateAsync(name, family, "--environment", """{"Variables":{"GREETING":"hello, from the CLI"}}""",
            "--layers", Str(layer.Json["LayerVersionArn"]), "--memory-size", "256");

        // Payload in and out, the variable, the layer's module, and /tmp; the first call is the cold start.
        var first = await _cli.InvokeAsync(name, new { action = "hello", value = "one" }, tail: true);
        await FunctionLogs.AssertNoFunctionErrorAsync(fixture, name, first);
        Assert.Equal(200, first.StatusCode);
        Assert.Equal("$LATEST", first.ExecutedVersion);
        Assert.Equal("one", Str(first.Json["event"]!["value"]));
        Assert.Equal("hello, from the CLI", Str(first.Json["greeting"]));
        Assert.Equal(MatrixFunctions.LayerDescription(family), Str(first.Json["layer"]));
        Assert.Equal("one\n", Str(first.Json["tmp"]));
        Assert.Contains("Init Duration", first.TailLog, StringComparison.Ordinal);

        // Warm: the same environment, its /tmp kept, no init.
        var second = await _cli.InvokeAsync(name, new { action = "hello", value = "two" }, tail: true);
        Assert.Equal(Str(first.Json["env"]), Str(second.Json["env"]));
        Assert.Equal("one\ntwo\n", Str(second.Json["tmp"]));
        Assert.DoesNotContain("Init Duration", second.TailLog, StringComparison.Ordinal);

        // A thrown error: still status 200, FunctionError Unhandled, the runtime's error document as the payload.
        var failed = await _cli.InvokeAsync(name, new { action = "error" });
        Assert.Equal(200, failed.StatusCode);
        Assert.Equal("Unhandled", failed.FunctionError);
        Assert.Equal("TestError", Str(failed.Json["errorType"]));
        Assert.Equal("failed on purpose", Str(failed.Json["errorMessage"]));
        switch (family)
        {
            case "nodejs":
                Assert.StartsWith("TestError: failed on purpose", Str(failed.Json["trace"]![0]), StringComparison.Ordinal);
                break;
            case "python":
                Assert.Matches(@"^[0-9a-f-]{36}$", Str(failed.Json["requestId"]));
                Assert.Contains(failed.Json["stackTrace"]!.AsArray(), frame => Str(frame).Contains("/var/task/app.py", StringComparison.Ordinal));
                break;
        }

        // A handled error does not cost the environment.
        var after = await _cli.InvokeAsync(name, new { action = "echo" });
        await FunctionLogs.AssertNoFunctionErrorAsync(fixture, name, after);
        Assert.Equal(Str(first.Json["env"]), Str(after.Json["env"]));
    }

    [Theory]
    [InlineData("nodejs")]
    [InlineData("python")]
    [InlineData("provided")]
    public async Task Invoke_TimeoutAndOutOfMemory_ReportedAsLambdaDoes_ThenRecovers(string family)
    {
        var slow = $"matrix-{family}-timeout";
        var hungry = $"matrix-{family}-oom";
        // After a timeout the environment is reset and the next invoke re-runs init inside its own timeout, as on
        // AWS: 5 s leaves room for that on a busy machine (a 2-core CI runner shared with other builds).
        await Task.WhenAll(CreateAsync(slow, family, "--timeout", "5", "--memory-size", "256"),
            CreateAsync(hungry, family, "--memory-size", "128", "--timeout", "30"));

        var results = await Task.WhenAll(_cli.InvokeAsync(slow, new { action = "sleep", seconds = 10 }),
            _cli.InvokeAsync(hungry, new { action = "allocate" }, tail: true));
        var timedOut = results[0];
        Assert.Equal(200, timedOut.StatusCode);
        Assert.Equal("Unhandled", timedOut.FunctionError);
        Assert.True(Str(timedOut.Json["errorType"]) == "Sandbox.Timedout", timedOut.ToString());
        Assert.Matches(@"^RequestId: [0-9a-f-]{36} Error: Task timed out after 5\.00 seconds$", Str(timedOut.Json["errorMessage"]));

        var killed = results[1];
        Assert.Equal(200, killed.StatusCode);
        Assert.Equal("Unhandled", killed.FunctionError);
        Assert.True(Str(killed.Json["errorType"]) == "Runtime.OutOfMemory", killed.ToString());
        Assert.Matches(@"^RequestId: [0-9a-f-]{36} Error: Runtime exited with error: signal: killed$", Str(killed.Json["errorMessage"]));
        Assert.Contains("Max Memory Used: 128 MB", killed.TailLog, StringComparison.Ordinal);

        // Both functions answer again, from fresh environments.
        var again = await Task.WhenAll(_cli.InvokeAsync(slow, new { action = "echo" }), _cli.InvokeAsync(hungry, new { action = "echo" }));
        await FunctionLogs.AssertNoFunctionErrorAsync(fixture, slow, again[0]);
        await FunctionLogs.AssertNoFunctionErrorAsync(fixture, hungry, again[1]);
    }
}
