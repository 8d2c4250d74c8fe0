using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Lamina.Tests.Support;

/// <summary>An AWS error as the CLI reports it on stderr.</summary>
public sealed record CliError(string Code, string Operation, string Message);

/// <summary>What <c>aws lambda invoke</c> printed (StatusCode, FunctionError, ExecutedVersion, LogResult) and the payload it wrote.</summary>
public sealed record CliInvoke(JsonNode Metadata, string Payload)
{
    public int StatusCode => Metadata["StatusCode"]!.GetValue<int>();

    public string? FunctionError => Metadata["FunctionError"]?.GetValue<string>();

    public string ExecutedVersion => Metadata["ExecutedVersion"]!.GetValue<string>();

    public JsonNode Json => JsonNode.Parse(Payload)!;

    /// <summary>The decoded log tail (<c>--log-type Tail</c>).</summary>
    public string TailLog => System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(Metadata["LogResult"]!.GetValue<string>()));

    public override string ToString() => $"{Metadata.ToJsonString()} {Payload}";
}

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

    /// <summary>
    /// <c>aws lambda invoke</c>, which must succeed as an API call (a function error is still exit 0): the
    /// payload goes in as JSON text (CLI v1 sends a blob argument as is) and comes back through the outfile.
    /// </summary>
    public async Task<CliInvoke> InvokeAsync(string function, object payload, string? qualifier = null, bool tail = false,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var outFile = Path.Combine(Path.GetTempPath(), $"lamina-invoke-{Guid.NewGuid():N}.out");
        try
        {
            var result = await RunWithAsync(environment, InvokeArgs(function, payload, outFile, qualifier, tail));
            Assert.True(result.ExitCode == 0, $"aws lambda invoke {function} failed: {result}");
            return new CliInvoke(JsonNode.Parse(result.Stdout)!, await File.ReadAllTextAsync(outFile));
        }
        finally
        {
            File.Delete(outFile);
        }
    }

    /// <summary>The arguments of <c>aws lambda invoke</c>, for calls expected to fail (see <see cref="ErrorAsync"/>).</summary>
    public static string[] InvokeArgs(string function, object payload, string outFile, string? qualifier = null, bool tail = false)
    {
        var args = new List<string>
        {
            "lambda", "invoke", "--function-name", function,
            "--payload", payload as string ?? System.Text.Json.JsonSerializer.Serialize(payload),
        };
        if (qualifier is not null)
        {
            args.AddRange(["--qualifier", qualifier]);
        }

        if (tail)
        {
            args.AddRange(["--log-type", "Tail"]);
        }

        args.Add(outFile);
        return [.. args];
    }

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

    /// <summary>The service error of a failed run (asserts there is one).</summary>
    public static CliError ParseError(ProcessResult result, string[] args)
    {
        Assert.True(result.ExitCode == 254 || result.ExitCode == 255,
            $"aws {string.Join(' ', args)} should fail with a service error (exit 254/255): {result}");
        var match = ClientErrorLine().Match(result.Stderr);
        Assert.True(match.Success, $"aws {string.Join(' ', args)}: no service error on stderr: {result}");
        return new CliError(match.Groups["code"].Value, match.Groups["op"].Value, match.Groups["message"].Value.TrimEnd());
    }
}
