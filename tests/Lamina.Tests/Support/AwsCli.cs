using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Lamina.Tests.Support;

/// <summary>An AWS error as the CLI reports it on stderr.</summary>
public sealed record CliError(string Code, string Operation, string Message);

/// <summary>The real AWS CLI, pointed at a fixture's server through its shared config files.</summary>
public sealed partial class AwsCli(LaminaFixture fixture)
{
    // botocore's ClientError text: "An error occurred (Code) when calling the Op operation[ (reached max retries: N)]: Message".
    [GeneratedRegex(@"An error occurred \((?<code>[^)]+)\) when calling the (?<op>\w+) operation(?: \(reached max retries: \d+\))?: (?<message>.*)")]
    private static partial Regex ClientErrorLine();

    /// <summary>
    /// The CLI's own entry script. Behind a pyenv shim every run first goes through bash and
    /// <c>pyenv exec</c>, about 0.3 s of wall time per call on the 2-core CI machine, so the real script
    /// is looked up once; anywhere else this is plain <c>aws</c>.
    /// </summary>
    private static readonly Lazy<string> Executable = new(ResolveExecutable);

    /// <summary>Runs <c>aws ARGS</c>. <paramref name="environment"/> adds to or overrides the client environment.</summary>
    public async Task<ProcessResult> RunWithAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var env = new Dictionary<string, string>(fixture.ClientEnvironment);
        // Use the shared files exactly as a user would, not the explicit keys.
        env.Remove("AWS_ACCESS_KEY_ID");
        env.Remove("AWS_SECRET_ACCESS_KEY");
        env.Remove("AWS_ENDPOINT_URL");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }

        return await ProcessRunner.RunAsync(Executable.Value, args, env);
    }

    public Task<ProcessResult> RunAsync(params string[] args) => RunWithAsync(null, args);

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

    /// <summary>Runs a command that must fail with an AWS service error, and returns that error.</summary>
    public async Task<CliError> ErrorAsync(params string[] args) => ParseError(await RunAsync(args), args);

    /// <summary><see cref="ErrorAsync(string[])"/> with extra environment (other credentials).</summary>
    public async Task<CliError> ErrorWithAsync(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        ParseError(await RunWithAsync(environment, args), args);

    private static string ResolveExecutable()
    {
        var shim = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "aws"))
            .FirstOrDefault(File.Exists);
        if (shim is null || !shim.Contains("/shims/", StringComparison.Ordinal))
        {
            return "aws";
        }

        try
        {
            var info = new System.Diagnostics.ProcessStartInfo("pyenv", ["which", "aws"]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var pyenv = System.Diagnostics.Process.Start(info)!;
            var path = pyenv.StandardOutput.ReadToEnd().Trim();
            pyenv.WaitForExit();
            return pyenv.ExitCode == 0 && File.Exists(path) ? path : "aws";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "aws";
        }
    }

    private static CliError ParseError(ProcessResult result, string[] args)
    {
        Assert.True(result.ExitCode == 254 || result.ExitCode == 255,
            $"aws {string.Join(' ', args)} should fail with a service error (exit 254/255): {result}");
        var match = ClientErrorLine().Match(result.Stderr);
        Assert.True(match.Success, $"aws {string.Join(' ', args)}: no service error on stderr: {result}");
        return new CliError(match.Groups["code"].Value, match.Groups["op"].Value, match.Groups["message"].Value.TrimEnd());
    }
}
