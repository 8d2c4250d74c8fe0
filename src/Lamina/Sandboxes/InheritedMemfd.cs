using System.Runtime.InteropServices;

namespace Lamina.Sandboxes;

/// <summary>
/// Anonymous in-memory files handed to a launched process by descriptor number: the seccomp program and
/// bubblewrap's arguments. Each is created NOT close-on-exec, so the launcher chain inherits it, positioned
/// at its start; the reader consumes it to the end, so every launch gets its own, closed right after the
/// process starts (and created under the launcher's lock, or an unrelated spawn would inherit it too).
/// </summary>
internal static partial class InheritedMemfd
{
    public static int Create(string name, byte[] content)
    {
        var fd = MemfdCreate(name, 0);
        if (fd < 0)
        {
            throw new IOException($"memfd_create failed: errno {Marshal.GetLastPInvokeError()}");
        }

        if (Write(fd, content, content.Length) != content.Length || Lseek(fd, 0, 0) != 0)
        {
            _ = Close(fd);
            throw new IOException($"Could not write {name} to its memfd.");
        }

        return fd;
    }

    public static void Release(int fd) => _ = Close(fd);

    /// <summary>Marks the server's own descriptor close-on-exec, once the launcher has inherited its copy: later spawns must not.</summary>
    public static void KeepFromLaterSpawns(int fd)
    {
        if (Fcntl(fd, FSetFd, FdCloexec) != 0)
        {
            throw new IOException($"fcntl(F_SETFD) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>
    /// Fills a memfd created empty, at offset 0 with pwrite: the launcher shares the file's offset, which stays at 0 for its read.
    /// </summary>
    public static void Fill(int fd, byte[] content)
    {
        if (PWrite(fd, content, content.Length, 0) != content.Length)
        {
            throw new IOException($"Could not fill a launcher's memfd: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    private const int FSetFd = 2;
    private const int FdCloexec = 1;

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static partial nint PWrite(int fd, [In] byte[] buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MemfdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    internal static partial long Lseek(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(int fd, [Out] byte[] buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, [In] byte[] buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
