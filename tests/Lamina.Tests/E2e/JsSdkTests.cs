using Lamina.Tests.Support;

namespace Lamina.Tests.E2e;

/// <summary>
/// Runs tests/e2e/js/control-plane.mjs (AWS SDK for JavaScript v3) against a fresh server; the script does
/// the checking. Needs <c>npm ci</c> in tests/e2e, which <c>./test</c> runs.
/// </summary>
public sealed class JsSdkTests(LaminaFixture fixture) : IClassFixture<LaminaFixture>
{
    [Fact]
    public async Task ControlPlaneScenario_JsSdkV3_AllChecksPass()
    {
        var e2e = Path.Combine(ProcessRunner.RepoRoot, "tests", "e2e");
        Assert.True(Directory.Exists(Path.Combine(e2e, "node_modules", "@aws-sdk", "client-lambda")),
            "tests/e2e/node_modules is missing: run 'npm ci' in tests/e2e (./test does it).");
        var env = new Dictionary<string, string>(fixture.ClientEnvironment)
        {
            // The SDK warns on stderr that releases after January 2027 need Node 22; the CI machine has Node 20.
            ["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] = "true",
        };

        var result = await ProcessRunner.RunAsync("node", [Path.Combine("js", "control-plane.mjs")], env, workingDirectory: e2e,
            timeout: TimeSpan.FromMinutes(3));

        TestContext.Current.TestOutputHelper?.WriteLine(result.Stdout);
        Assert.True(result.ExitCode == 0, $"JS SDK scenario failed:\n{result}");
        Assert.Contains("JS SDK control plane: all checks passed", result.Stdout, StringComparison.Ordinal);
    }
}
