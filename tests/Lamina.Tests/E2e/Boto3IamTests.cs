using Lamina.Tests.Support;

namespace Lamina.Tests.E2e;

/// <summary>Runs tests/e2e/boto3_iam_sts.py (boto3 only) against a fresh server; the script does the checking.</summary>
public sealed class Boto3IamTests(LaminaFixture fixture) : IClassFixture<LaminaFixture>
{
    [Fact]
    public async Task IamStsScenario_Boto3_AllChecksPass()
    {
        var script = Path.Combine(ProcessRunner.RepoRoot, "tests", "e2e", "boto3_iam_sts.py");
        var env = new Dictionary<string, string>(fixture.ClientEnvironment) { ["PYTHONUNBUFFERED"] = "1" };

        var result = await ProcessRunner.RunAsync("python3", [script], env, timeout: TimeSpan.FromMinutes(2));

        TestContext.Current.TestOutputHelper?.WriteLine(result.Stdout);
        Assert.True(result.ExitCode == 0, $"boto3 iam/sts scenario failed:\n{result}");
        Assert.Contains("boto3 iam/sts: all checks passed", result.Stdout, StringComparison.Ordinal);
    }
}
