using System.Globalization;

namespace Lamina.Sandboxes;

/// <summary>
/// Host-side scratch space of one server process: extracted code and layers (plaintext, so never in
/// the data directory), each environment's /tmp, and the small files sandboxes see under /etc.
/// Deleted on shutdown; leftovers of crashed servers are removed at the next start.
/// </summary>
internal sealed class WorkDirectory
{
    private const string Marker = "lamina-work.pid";

    public WorkDirectory(string? root)
    {
        if (root is null)
        {
            SweepStale(Path.GetTempPath());
            Root = Directory.CreateTempSubdirectory("lamina-work-").FullName;
        }
        else
        {
            Root = Path.GetFullPath(root);
            Directory.CreateDirectory(Root);
        }

        // Traversable (environments run as other users) but not listable by them.
        File.SetUnixFileMode(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                   UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        File.WriteAllText(Path.Combine(Root, Marker), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        foreach (var dir in new[] { Code, Layers, Environments, Etc, Support })
        {
            Directory.CreateDirectory(dir);
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                      UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
    }

    public string Root { get; }

    public string Code => Path.Combine(Root, "code");

    public string Layers => Path.Combine(Root, "layers");

    public string Environments => Path.Combine(Root, "env");

    public string Etc => Path.Combine(Root, "etc");

    /// <summary>Lamina's own files inside the sandbox (mounted read-only at /var/lamina).</summary>
    public string Support => Path.Combine(Root, "support");

    public void Delete()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A file held by a dying process; the next start sweeps it.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// A directory without its marker (or with a half-written one) may be one another server is creating
    /// right now (the marker is written just after the directory): it is left alone until it is this old.
    /// Without this, servers starting side by side (test fixtures, other processes) deleted each other's
    /// fresh work directories, and the victim failed later with "Could not find a part of the path
    /// '.../support/init'" or with sandboxes that could not start.
    /// </summary>
    private static readonly TimeSpan UnmarkedGrace = TimeSpan.FromMinutes(5);

    /// <summary>Removes work directories whose server process no longer runs.</summary>
    private static void SweepStale(string tempRoot)
    {
        foreach (var dir in Directory.EnumerateDirectories(tempRoot, "lamina-work-*"))
        {
            try
            {
                var marker = Path.Combine(dir, Marker);
                var pid = 0;
                var marked = File.Exists(marker) && int.TryParse(File.ReadAllText(marker), out pid);
                if (!marked && DateTime.UtcNow - Directory.GetCreationTimeUtc(dir) < UnmarkedGrace)
                {
                    continue;
                }

                if (!marked || !ServerProcesses.IsRunning(pid))
                {
                    UnmountUnder(dir);
                    Directory.Delete(dir, recursive: true);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Someone else's or busy: leave it.
            }
        }
    }

    /// <summary>A crashed server leaves /tmp volumes and interpreter binds mounted: detach them before deleting.</summary>
    private static void UnmountUnder(string dir)
    {
        var prefix = dir.TrimEnd('/') + "/";
        foreach (var line in File.ReadAllLines("/proc/mounts"))
        {
            var mountPoint = line.Split(' ')[1].Replace("\\040", " ", StringComparison.Ordinal);
            if (mountPoint.StartsWith(prefix, StringComparison.Ordinal))
            {
                using var umount = System.Diagnostics.Process.Start("umount", ["-l", mountPoint]);
                umount?.WaitForExit(5000);
            }
        }
    }
}
