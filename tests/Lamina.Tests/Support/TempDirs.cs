namespace Lamina.Tests.Support;

internal static class TempDirs
{
    public static string Create(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    public static void Delete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: a file still held open by a dying child process is cleaned by the OS temp reaper.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
