namespace Lamina.Benchmarks.ControlPlane;

/// <summary>Where the repository is (the directory holding Lamina.slnx) and what lives in it.</summary>
internal sealed class RepoPaths(string root)
{
    public string Root { get; } = root;

    public string BuiltLamina => Path.Combine(Root, "artifacts", "bin", "Lamina", "release", "lamina");

    public string LaminaScript => Path.Combine(Root, "lamina");

    public string Boto3Script => Path.Combine(Root, "bench", "boto3_reads.py");

    public string BenchmarksDoc => Path.Combine(Root, "docs", "benchmarks.md");

    public string ResultsDir => Path.Combine(Root, "bench", "results");

    /// <summary>Searches upwards from the working directory, then from this assembly.</summary>
    public static RepoPaths Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Lamina.slnx")))
                {
                    return new RepoPaths(dir.FullName);
                }
            }
        }

        throw new InvalidOperationException("Run from inside the Lamina repository (no Lamina.slnx found above the working directory).");
    }
}
