using Lamina.Tests.Support;

namespace Lamina.Tests.Api;

/// <summary>
/// <c>lamina serve</c> as a process: it re-executes itself once with the runtime's tiering delay at 0
/// (<c>DOTNET_TC_CallCountingDelayMs</c>, see <c>JitTiering</c>), keeping its process id, arguments and environment,
/// and leaves a delay the operator set alone.
/// </summary>
public sealed class ServeProcessTests
{
    private const string Variable = "DOTNET_TC_CallCountingDelayMs";

    [Fact]
    public async Task Serve_ReexecutesWithTieringDelayZero_KeepingPidArgumentsAndEnvironment()
    {
        var dir = TempDirs.Create("lamina-serve-tiering");
        try
        {
            await using var server = new LaminaProcess(Path.Combine(dir, "data"), "--region", "eu-west-1");
            server.Environment["LAMINA_TEST_MARKER"] = "kept";
            await server.StartAsync();

            var environment = Environ(server.Pid);
            Assert.Equal(["0"], environment.Where(e => e.Name == Variable).Select(e => e.Value));
            Assert.Equal(["kept"], environment.Where(e => e.Name == "LAMINA_TEST_MARKER").Select(e => e.Value));
            var argv = File.ReadAllText($"/proc/{server.Pid}/cmdline").TrimEnd('\0').Split('\0');
            Assert.Equal(["serve", "--data-dir", server.DataDir, "--listen", $"http://127.0.0.1:{server.Port}", "--region", "eu-west-1"], argv[2..]);

            // StartAsync saw it healthy; the re-executed server is the one that started, once, with the arguments it was given.
            var log = await File.ReadAllTextAsync(server.LogPath);
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(log, "Lamina is listening on [^ ]+ \\(region eu-west-1,"));
        }
        finally
        {
            TempDirs.Delete(dir);
        }
    }

    [Fact]
    public async Task Serve_KeepsATieringDelayTheOperatorSet()
    {
        var dir = TempDirs.Create("lamina-serve-tiering-set");
        try
        {
            await using var server = new LaminaProcess(Path.Combine(dir, "data"));
            server.Environment[Variable] = "250";
            await server.StartAsync();

            Assert.Equal(["250"], Environ(server.Pid).Where(e => e.Name == Variable).Select(e => e.Value));
        }
        finally
        {
            TempDirs.Delete(dir);
        }
    }

    private static List<(string Name, string Value)> Environ(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Split('=', 2))
            .Select(p => (p[0], p.Length > 1 ? p[1] : ""))
            .ToList();
}
