using Lamina.Core.Native;

namespace Lamina.Core.Storage;

/// <summary>Files that survive a power cut once written (reference/security.md section 12: fsync before ack).</summary>
internal static class DurableFile
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>
    /// Writes <c>PATH.tmp</c> (owner-only), fsyncs it, renames it to <paramref name="path"/> and fsyncs the directory,
    /// and the parent of each directory this had to create. Without <paramref name="overwrite"/> an existing file
    /// (or a concurrent writer of the same temp file) is an error.
    /// </summary>
    public static async Task WriteAsync(string path, ReadOnlyMemory<byte> content, bool overwrite, CancellationToken cancellationToken)
    {
        var dir = Path.GetDirectoryName(path)!;
        CreateDirectory(dir);
        var tmp = path + ".tmp";
        var options = new FileStreamOptions
        {
            Mode = overwrite ? FileMode.Create : FileMode.CreateNew,
            Access = FileAccess.Write,
            Options = FileOptions.Asynchronous,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        await using (var stream = new FileStream(tmp, options))
        {
            await stream.WriteAsync(content, cancellationToken);
            stream.Flush(flushToDisk: true);
        }

        File.Move(tmp, path, overwrite);
        Posix.FsyncDirectory(dir);
    }

    private static void CreateDirectory(string dir)
    {
        if (Directory.Exists(dir))
        {
            return;
        }

        var missing = new Stack<string>();
        for (var d = dir; d is not null && !Directory.Exists(d); d = Path.GetDirectoryName(d))
        {
            missing.Push(d);
        }

        while (missing.TryPop(out var d))
        {
            Directory.CreateDirectory(d, OwnerOnlyDirectory);
            Posix.FsyncDirectory(Path.GetDirectoryName(d)!);
        }
    }
}
