using System.Text.Json.Nodes;

namespace Lamina.Tests.Support;

/// <summary>The real AWS CLI, pointed at a fixture's server through its shared config files.</summary>
public sealed class AwsCli(LaminaFixture fixture)
{
    public async Task<ProcessResult> RunAsync(params string[] args)
    {
        var env = new Dictionary<string, string>(fixture.ClientEnvironment);
        // Use the shared files exactly as a user would, not the explicit keys.
        env.Remove("AWS_ACCESS_KEY_ID");
        env.Remove("AWS_SECRET_ACCESS_KEY");
        env.Remove("AWS_ENDPOINT_URL");
        return await ProcessRunner.RunAsync("aws", args, env);
    }

    /// <summary>Runs a command that must succeed and parses its JSON output (empty output is an empty object).</summary>
    public async Task<JsonNode> JsonAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == 0, $"aws {string.Join(' ', args)} failed: {result}");
        return JsonNode.Parse(string.IsNullOrWhiteSpace(result.Stdout) ? "{}" : result.Stdout)!;
    }

    /// <summary>Runs a command that must fail with the given AWS error code; returns the CLI's message.</summary>
    public async Task<string> FailsAsync(string errorCode, params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode != 0, $"aws {string.Join(' ', args)} unexpectedly succeeded: {result}");
        Assert.Contains($"({errorCode})", result.Stderr, StringComparison.Ordinal);
        return result.Stderr;
    }
}
