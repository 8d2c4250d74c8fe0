using Lamina.Tests.Support;

namespace Lamina.Tests.Runtimes;

/// <summary>
/// Runs the Node.js runtime's own suite (runtimes/nodejs/test, node:test): the real bootstrap against
/// a fake Runtime API, covering handler loading, the callback/async model, logging and streaming.
/// </summary>
public sealed class NodeRuntimeTests
{
    [Fact]
    public async Task NodeTestSuite_AgainstFakeRuntimeApi_Passes()
    {
        var result = await ProcessRunner.RunAsync("node", ["--test", "runtimes/nodejs/test/"],
            workingDirectory: ProcessRunner.RepoRoot, timeout: TimeSpan.FromMinutes(3));

        Assert.True(result.ExitCode == 0, result.ToString());
    }
}
