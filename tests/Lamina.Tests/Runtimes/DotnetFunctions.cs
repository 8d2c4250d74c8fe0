using System.IO.Compression;
using Lamina.Tests.Support;

namespace Lamina.Tests.Runtimes;

/// <summary>
/// Builds what the dotnet10 runtime tests deploy, once per test run: the runtime itself
/// (<c>runtimes/dotnet/build.sh</c>, a no-op when current) and the two test functions under
/// <c>tests/functions/dotnet</c>, published Release and zipped as a user would upload them.
/// </summary>
public sealed class DotnetFunctions : IAsyncLifetime
{
    private readonly string _dir = TempDirs.Create("lamina-dotnet-functions");

    /// <summary>HelloDotnet: a class library with handlers of every supported shape.</summary>
    public byte[] ClassLibraryZip { get; private set; } = [];

    /// <summary>HelloExecutable: a program running its own Runtime API loop.</summary>
    public byte[] ExecutableZip { get; private set; } = [];

    public async ValueTask InitializeAsync()
    {
        var root = ProcessRunner.RepoRoot;
        var runtime = await ProcessRunner.RunAsync("bash", [Path.Combine(root, "runtimes", "dotnet", "build.sh")], timeout: TimeSpan.FromMinutes(5));
        Assert.True(runtime.ExitCode == 0, $"runtimes/dotnet/build.sh failed:\n{runtime}");

        // One after the other: both build the shared Lamina.Lambda.* projects, which must not be built twice at once.
        ClassLibraryZip = await PublishAsync(root, "HelloDotnet");
        ExecutableZip = await PublishAsync(root, "HelloExecutable");
    }

    public ValueTask DisposeAsync()
    {
        TempDirs.Delete(_dir);
        return ValueTask.CompletedTask;
    }

    private async Task<byte[]> PublishAsync(string root, string project)
    {
        var output = Path.Combine(_dir, project);
        var publish = await ProcessRunner.RunAsync("dotnet",
            ["publish", Path.Combine(root, "tests", "functions", "dotnet", project, project + ".csproj"), "-c", "Release", "-o", output, "-nologo", "-tl:off", "-v", "quiet"],
            env: new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" },
            timeout: TimeSpan.FromMinutes(5));
        Assert.True(publish.ExitCode == 0, $"dotnet publish {project} failed:\n{publish}");

        using var zip = new MemoryStream();
        await ZipFile.CreateFromDirectoryAsync(output, zip, CompressionLevel.Fastest, includeBaseDirectory: false);
        return zip.ToArray();
    }
}
