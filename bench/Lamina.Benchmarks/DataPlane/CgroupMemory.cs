using System.Globalization;

namespace Lamina.Benchmarks.DataPlane;

/// <summary>
/// What the kernel charges a memory cgroup, in bytes: everything, and the page-cache part of it. The rest
/// (anonymous memory plus kernel objects: page tables, stacks, slab, sockets) is what its processes hold
/// on their own; page cache is charged to whichever group first read a file, so it is shown apart.
/// </summary>
internal sealed record CgroupCharge(long Total, long File)
{
    public long NonFile => Total - File;

    public static CgroupCharge operator -(CgroupCharge a, CgroupCharge b) => new(a.Total - b.Total, a.File - b.File);
}

/// <summary>Memory cgroups the harness reads, makes and removes: v2 (unified) or v1 (memory hierarchy).</summary>
internal static class CgroupMemory
{
    public static bool IsUnified => File.Exists("/sys/fs/cgroup/cgroup.controllers");

    private static string Mount => IsUnified ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory";

    /// <summary>v2: memory.current and memory.stat's file; v1: memory.usage_in_bytes (kernel memory included) and total_cache.</summary>
    public static CgroupCharge Read(string dir)
    {
        var unified = File.Exists(Path.Combine(dir, "memory.current"));
        var total = ReadLong(Path.Combine(dir, unified ? "memory.current" : "memory.usage_in_bytes"));
        var file = StatValue(dir, unified ? "file" : "total_cache");
        return new CgroupCharge(total, file);
    }

    /// <summary>A new group under <paramref name="parent"/>, or null when memory cannot be accounted there (v2 with processes in the parent).</summary>
    public static string? TryCreateChild(string parent, string name)
    {
        try
        {
            var dir = Path.Combine(parent, name);
            Directory.CreateDirectory(dir);
            if (File.Exists(Path.Combine(dir, "memory.current")) || File.Exists(Path.Combine(dir, "memory.usage_in_bytes")))
            {
                return dir;
            }

            Directory.Delete(dir);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A group at the top of the memory hierarchy, beside Lamina's own <c>lamina/</c>, whose children account memory.</summary>
    public static string? TryCreateTopLevel(string name)
    {
        var dir = TryCreateChild(Mount, name);
        if (dir is not null && IsUnified)
        {
            try
            {
                File.WriteAllText(Path.Combine(dir, "cgroup.subtree_control"), "+memory");
            }
            catch (IOException)
            {
                Remove(dir);
                return null;
            }
        }

        return dir;
    }

    /// <summary>Moves a whole process (all its threads) into the group; charges it made before stay where they were.</summary>
    public static bool TryMove(string dir, int pid)
    {
        try
        {
            File.WriteAllText(Path.Combine(dir, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Removes the group and its child groups once they have no processes left.</summary>
    public static void Remove(string dir)
    {
        if (!Directory.Exists(dir))
        {
            return;
        }

        foreach (var child in Directory.EnumerateDirectories(dir))
        {
            Remove(child);
        }

        for (var attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                Directory.Delete(dir);
                return;
            }
            catch (IOException)
            {
                // EBUSY while a killed process is still leaving.
                Thread.Sleep(20);
            }
        }
    }

    private static long ReadLong(string path) =>
        long.TryParse(Procfs.TryRead(path)?.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;

    private static long StatValue(string dir, string key)
    {
        foreach (var line in (Procfs.TryRead(Path.Combine(dir, "memory.stat")) ?? "").Split('\n'))
        {
            var parts = line.Split(' ');
            if (parts.Length == 2 && parts[0] == key)
            {
                return long.Parse(parts[1], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
