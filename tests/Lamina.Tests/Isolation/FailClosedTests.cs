using Lamina.Tests.Support;

namespace Lamina.Tests.Isolation;

/// <summary>
/// <c>lamina serve</c> refuses to run functions when the host cannot isolate them, and says what to fix;
/// <c>--insecure-dev</c> starts anyway, loudly. Exercised by running the real binary as an unprivileged user;
/// and, as root, <c>--sandbox gvisor</c> without a working runsc, which is refused whatever else the host offers.
/// </summary>
public sealed class FailClosedTests
{
    private static string LaminaDll => Path.Combine(AppContext.BaseDirectory, "lamina.dll");

    private static async Task<(ProcessResult Result, string DataDir)> ServeAsNobodyAsync(params string[] extra)
    {
        var dir = TempDirs.Create("lamina-failclosed");
        File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("777", 8));
        var home = Path.Combine(dir, "home");
        Directory.CreateDirectory(home);
        File.SetUnixFileMode(home, (UnixFileMode)Convert.ToInt32("777", 8));
        var args = new List<string>
        {
            "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--",
            "/usr/bin/timeout", "10", "/usr/bin/env", $"HOME={home}", "DOTNET_CLI_TELEMETRY_OPTOUT=1",
            "dotnet", LaminaDll, "serve", "--data-dir", Path.Combine(dir, "data"), "--listen", "http://127.0.0.1:0",
        };
        args.AddRange(extra);
        var result = await ProcessRunner.RunAsync("/usr/bin/setpriv", args, timeout: TimeSpan.FromSeconds(60));
        return (result, dir);
    }

    [Fact]
    public async Task Serve_WithoutRoot_RefusesWithWhatToFix()
    {
        var (result, dir) = await ServeAsNobodyAsync();
        try
        {
            Assert.Equal(3, result.ExitCode);
            Assert.Contains("Lamina will not run functions without isolation", result.Stderr, StringComparison.Ordinal);
            Assert.Contains("not running as root", result.Stderr, StringComparison.Ordinal);
            Assert.Contains("--insecure-dev", result.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("Lamina is listening", result.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            TempDirs.Delete(dir);
        }
    }

    [Fact]
    public async Task Serve_InsecureDev_StartsWithLoudWarning()
    {
        var (result, dir) = await ServeAsNobodyAsync("--insecure-dev");
        try
        {
            // timeout(1) ends the server after 10 s (exit 124): it was up and serving until then.
            Assert.Equal(124, result.ExitCode);
            Assert.Contains("Lamina is listening", result.Stdout, StringComparison.Ordinal);
            Assert.Contains("INSECURE DEVELOPMENT MODE", result.Stdout + result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            TempDirs.Delete(dir);
        }
    }

    private static async Task<ProcessResult> ServeGvisorAsync(string runsc)
    {
        var dir = TempDirs.Create("lamina-failclosed-gvisor");
        try
        {
            return await ProcessRunner.RunAsync("dotnet",
                [LaminaDll, "serve", "--sandbox", "gvisor", "--data-dir", Path.Combine(dir, "data"), "--listen", "http://127.0.0.1:0"],
                new Dictionary<string, string> { ["LAMINA_RUNSC"] = runsc, ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" },
                timeout: TimeSpan.FromSeconds(90));
        }
        finally
        {
            TempDirs.Delete(dir);
        }
    }

    [Fact]
    public async Task Serve_GvisorWithoutRunsc_RefusesNamingThePackage()
    {
        var result = await ServeGvisorAsync("/nonexistent/runsc");

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("/nonexistent/runsc is missing: --sandbox gvisor needs gVisor's runsc (apt-get install runsc)", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Lamina is listening", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_GvisorWhenRunscCannotStartASandbox_Refuses()
    {
        // A runsc that exists but cannot start anything: the start-up probe sandbox fails.
        var result = await ServeGvisorAsync("/bin/false");

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("could not start a sandbox with /bin/false", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("apt-get install runsc", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Lamina is listening", result.Stdout, StringComparison.Ordinal);
    }
}
