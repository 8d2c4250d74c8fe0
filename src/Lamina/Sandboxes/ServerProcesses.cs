namespace Lamina.Sandboxes;

/// <summary>Whether the server that left host resources behind (cgroups, network slots, work directories) still runs.</summary>
internal static class ServerProcesses
{
    /// <summary>A running process that is not a kernel thread (those have an empty command line and small pids that old names decode to).</summary>
    public static bool IsRunning(long pid)
    {
        try
        {
            return File.ReadAllBytes($"/proc/{pid}/cmdline").Length > 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
