using Lamina.Sandboxes;

namespace Lamina.Tests.Isolation;

/// <summary>The start-up sweep of leftover work directories spares the ones other servers are still creating.</summary>
public sealed class WorkDirectoryTests
{
    [Fact]
    public void Sweep_UnmarkedFreshDirectory_IsLeftAlone_DeadServersDirectoryIsRemoved()
    {
        // Another server has just created its directory and not yet written its marker.
        var fresh = Directory.CreateTempSubdirectory("lamina-work-").FullName;
        // A server that is gone: its marker names a process that does not exist.
        var dead = Directory.CreateTempSubdirectory("lamina-work-").FullName;
        File.WriteAllText(Path.Combine(dead, "lamina-work.pid"), int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture));
        WorkDirectory? mine = null;
        try
        {
            mine = new WorkDirectory(null);

            Assert.True(Directory.Exists(fresh), "a directory being created by another server was swept");
            Assert.False(Directory.Exists(dead), "a dead server's directory was kept");
            Assert.True(File.Exists(Path.Combine(mine.Root, "lamina-work.pid")));
        }
        finally
        {
            mine?.Delete();
            Directory.Delete(fresh, recursive: true);
            if (Directory.Exists(dead))
            {
                Directory.Delete(dead, recursive: true);
            }
        }
    }
}
