using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Lamina.Benchmarks.ControlPlane;

/// <summary>
/// What every benchmark run starts from (when, the repository, the machine, a fresh temp directory for the
/// servers' data and logs) and how it ends (report printed, kept under bench/results, written to the docs;
/// the temp directory deleted after a valid run, kept for its logs otherwise).
/// </summary>
internal sealed class BenchmarkRun(DateTimeOffset startedAt, Stopwatch clock, RepoPaths repo, MachineInfo machine, string workDir)
{
    private static readonly JsonSerializerOptions RawJsonOptions = new() { WriteIndented = true };

    private bool _valid;

    public DateTimeOffset StartedAt { get; } = startedAt;

    public Stopwatch Clock { get; } = clock;

    public RepoPaths Repo { get; } = repo;

    public MachineInfo Machine { get; } = machine;

    public string WorkDir { get; } = workDir;

    public static async Task<BenchmarkRun> StartAsync(string workDirPrefix, CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var repo = RepoPaths.Find();
        var machine = await MachineInfo.CollectAsync(repo, cancellationToken);
        return new BenchmarkRun(startedAt, clock, repo, machine, Directory.CreateTempSubdirectory(workDirPrefix).FullName);
    }

    public void Deconstruct(out DateTimeOffset startedAt, out Stopwatch clock, out RepoPaths repo, out MachineInfo machine, out string workDir) =>
        (startedAt, clock, repo, machine, workDir) = (StartedAt, Clock, Repo, Machine, WorkDir);

    /// <summary>
    /// Prints <paramref name="markdown"/>, keeps it and <paramref name="results"/> as
    /// bench/results/BENCHMARK-yyyyMMdd-HHmmss.{md,json} (not committed), and replaces the section under
    /// <paramref name="heading"/> in docs/benchmarks.md when <paramref name="writeDocs"/>.
    /// </summary>
    public void Publish<T>(string benchmark, T results, string markdown, string heading, bool writeDocs)
    {
        Console.WriteLine();
        Console.WriteLine(markdown);
        Directory.CreateDirectory(Repo.ResultsDir);
        var stem = Path.Combine(Repo.ResultsDir, $"{benchmark}-{StartedAt.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
        File.WriteAllText(stem + ".md", markdown);
        File.WriteAllText(stem + ".json", JsonSerializer.Serialize(results, RawJsonOptions));
        if (writeDocs)
        {
            ControlPlaneReport.UpdateDocs(Repo.BenchmarksDoc, heading, markdown);
            Say($"Updated {Path.GetRelativePath(Repo.Root, Repo.BenchmarksDoc)}.");
        }
    }

    /// <summary>The exit code: 0, or 1 when <paramref name="failure"/> says what made the numbers invalid.</summary>
    public int Finish(string? failure)
    {
        Say($"Done in {Clock.Elapsed.TotalSeconds:F0} s.");
        if (failure is not null)
        {
            Say($"{failure}; the numbers above are not valid. Logs kept in {WorkDir}.");
            return 1;
        }

        _valid = true;
        return 0;
    }

    /// <summary>After the servers have stopped: deletes the temp directory, unless the run failed or was not finished.</summary>
    public void DeleteWorkDirIfValid()
    {
        if (!_valid)
        {
            return;
        }

        try
        {
            Directory.Delete(WorkDir, recursive: true);
        }
        catch (IOException)
        {
            // A server may still hold a file for a moment; the temp dir is cleaned by the OS eventually.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public static void Say(string line) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");
}
