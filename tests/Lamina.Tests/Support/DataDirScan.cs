namespace Lamina.Tests.Support;

/// <summary>
/// Looks for plaintext in a live server's data directory from a child process. Reading the database files from
/// the test process itself would break the server: POSIX record locks belong to the process and are all dropped
/// when it closes any descriptor of the file, so opening lamina.db-shm in-process released SQLite's WAL locks and
/// the server later failed with "SQLite Error 10: disk I/O error" (seen in CI in DurableSecurityTests).
/// </summary>
internal static class DataDirScan
{
    /// <summary>The files under <paramref name="dir"/> whose bytes contain any of <paramref name="markers"/> (GNU grep, binary-safe).</summary>
    public static async Task<IReadOnlyList<string>> FilesContainingAsync(string dir, params string[] markers)
    {
        var args = new List<string> { "-r", "-l", "-a", "-F" };
        foreach (var marker in markers)
        {
            args.Add("-e");
            args.Add(marker);
        }

        args.Add(dir);
        var result = await ProcessRunner.RunAsync("grep", args);
        // grep: 0 = some file matched, 1 = none did, anything else = it could not read the directory.
        Assert.True(result.ExitCode is 0 or 1, result.ToString());
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
