namespace Lamina.Sandboxes;

/// <summary>Settings of the sandbox supervisor.</summary>
internal sealed class SandboxOptions
{
    /// <summary>Where the runtime bootstraps live (repository <c>runtimes/</c>); found automatically when null.</summary>
    public string? RuntimesDirectory { get; set; }

    /// <summary>Scratch space for extracted code and environments' /tmp; a fresh temp directory when null.</summary>
    public string? WorkDirectory { get; set; }

    /// <summary>The Lamina API as sandboxes reach it (<c>AWS_ENDPOINT_URL</c>); set once the server listens.</summary>
    public string ApiEndpointForSandboxes { get; set; } = "";

    public static string FindRuntimesDirectory()
    {
        if (Environment.GetEnvironmentVariable("LAMINA_RUNTIMES_DIR") is { Length: > 0 } configured)
        {
            return configured;
        }

        var packaged = Path.Combine(AppContext.BaseDirectory, "lamina-runtimes");
        if (Directory.Exists(packaged))
        {
            return packaged;
        }

        var dir = AppContext.BaseDirectory;
        while (dir is not null)
        {
            if (File.Exists(Path.Combine(dir, "Lamina.slnx")) && Directory.Exists(Path.Combine(dir, "runtimes")))
            {
                return Path.Combine(dir, "runtimes");
            }

            dir = Path.GetDirectoryName(dir);
        }

        throw new DirectoryNotFoundException(
            "Cannot find Lamina's runtimes directory; set LAMINA_RUNTIMES_DIR to the repository's runtimes/ folder.");
    }
}
