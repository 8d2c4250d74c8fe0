using System.ComponentModel;
using Lamina.Tests.Support;

namespace Lamina.Tests.Runtimes;

/// <summary>
/// Runs the Python runtime's own unittest suite (runtimes/python/tests: the real bootstrap against a fake
/// Runtime API) under the default python3 and under python3.9, the oldest interpreter the runtime supports.
/// </summary>
public sealed class PythonRuntimeTests
{
    private static readonly string[] SuiteArgs = ["-m", "unittest", "discover", "-s", "runtimes/python/tests", "-t", "runtimes/python"];

    private sealed record Interpreter(string Name, string Executable, string Version);

    [Fact]
    public async Task UnitTestSuite_DefaultAndOldestInterpreter_Passes()
    {
        var found = new List<Interpreter>();
        var missing = new List<string>();
        foreach (var name in new[] { "python3", "python3.9" })
        {
            var interpreter = await FindAsync(name);
            if (interpreter is null)
            {
                missing.Add(name);
            }
            else if (!found.Exists(i => i.Executable == interpreter.Executable))
            {
                found.Add(interpreter);
            }
        }

        var tested = string.Join(", ", found.Select(i => $"{i.Name} = {i.Executable} ({i.Version})"));
        var note = $"tested: {tested}" + (missing.Count > 0 ? $"; not found, so not tested: {string.Join(", ", missing)}" : "");
        TestContext.Current.TestOutputHelper?.WriteLine(note);
        Assert.True(found.Exists(i => i.Name == "python3"), $"python3 is required for the Python runtime tests; {note}");

        // Concurrently: each suite mostly waits on short-lived runtime processes, not on the CPU.
        var runs = await Task.WhenAll(found.Select(i => ProcessRunner.RunAsync(
            i.Executable, SuiteArgs, workingDirectory: ProcessRunner.RepoRoot, timeout: TimeSpan.FromMinutes(3))));
        for (var n = 0; n < found.Count; n++)
        {
            Assert.True(runs[n].ExitCode == 0, $"runtimes/python tests failed under {found[n].Name} ({note}):\n{runs[n]}");
        }
    }

    /// <summary>The interpreter behind a command name, or null when the name does not run (e.g. a pyenv shim
    /// for a version that is installed but not selected, or no such command), then a pyenv install.</summary>
    private static async Task<Interpreter?> FindAsync(string name)
    {
        var candidates = new List<string> { name };
        var pyenvRoot = Environment.GetEnvironmentVariable("PYENV_ROOT")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pyenv");
        var minor = name["python".Length..];
        if (minor != "3" && Directory.Exists(Path.Combine(pyenvRoot, "versions")))
        {
            candidates.AddRange(Directory.GetDirectories(Path.Combine(pyenvRoot, "versions"), minor + ".*")
                .Order(StringComparer.Ordinal)
                .Select(dir => Path.Combine(dir, "bin", name))
                .Where(File.Exists));
        }

        foreach (var candidate in candidates)
        {
            try
            {
                var probe = await ProcessRunner.RunAsync(candidate,
                    ["-c", "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])"],
                    timeout: TimeSpan.FromSeconds(30));
                var lines = probe.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (probe.ExitCode == 0 && lines.Length == 2)
                {
                    return new Interpreter(name, lines[0], lines[1]);
                }
            }
            catch (Win32Exception)
            {
                // Not on PATH: try the next candidate.
            }
        }

        return null;
    }
}
