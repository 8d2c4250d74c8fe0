using System.Globalization;

namespace Lamina.Sandboxes;

/// <summary>An environment's /tmp on the host: a directory, and the image backing it when sized.</summary>
internal sealed record TmpVolume(string Directory, string? Image, int SizeMb);

/// <summary>
/// Sized /tmp for environments: a sparse ext4 image per environment (EphemeralStorage, 512–10,240 MB),
/// loop-mounted on the host and bound into the sandbox. Writes past the size get ENOSPC; the data lives
/// in a disk-backed file system, so it is not charged to the function's memory the way a tmpfs would be;
/// the image is deleted with the environment. Formatting and mounting take about 50 ms, so a few images
/// of the default size are kept ready.
/// </summary>
internal sealed partial class TmpVolumes(WorkDirectory work, LaunchActivity launches, ILogger logger)
{
    private const int DefaultSizeMb = 512;
    private const int ReadyDefault = 4;

    private readonly System.Collections.Concurrent.ConcurrentQueue<TmpVolume> _ready = new();
    private int _refilling;
    private int _next;

    /// <summary>Checks that this host can format and loop-mount images (root, e2fsprogs, loop devices).</summary>
    public async Task<string?> ProbeAsync()
    {
        if (!File.Exists("/usr/sbin/mkfs.ext4") && !File.Exists("/sbin/mkfs.ext4"))
        {
            return "mkfs.ext4 is missing (apt-get install e2fsprogs).";
        }

        try
        {
            var volume = await CreateAsync(DefaultSizeMb, CancellationToken.None);
            _ready.Enqueue(volume);
            return null;
        }
        catch (InvalidOperationException ex)
        {
            return $"cannot loop-mount a sized /tmp ({ex.Message}); Lamina needs root and loop devices (/dev/loop-control).";
        }
    }

    /// <param name="rootOnlyPath">
    /// Close the volume's parent directory to everyone but root (gVisor tier): there only runsc's gofer, running
    /// as root, opens the volume, and the files the function creates belong to host uid 993, which may be some
    /// host account that must not reach them. bubblewrap's sandbox user needs the path open to traverse it.
    /// </param>
    public async Task<TmpVolume> AcquireAsync(int sizeMb, int uid, int gid, bool rootOnlyPath, CancellationToken cancellationToken)
    {
        TmpVolume? volume = null;
        if (sizeMb == DefaultSizeMb && _ready.TryDequeue(out var ready))
        {
            volume = ready;
            if (Interlocked.Exchange(ref _refilling, 1) == 0)
            {
                _ = Task.Run(RefillAsync, CancellationToken.None);
            }
        }

        volume ??= await CreateAsync(sizeMb, cancellationToken);
        if (rootOnlyPath)
        {
            File.SetUnixFileMode(Path.GetDirectoryName(volume.Directory)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        // The file system's root becomes the sandbox user's /tmp (sticky, like any /tmp).
        Chown(volume.Directory, uid, gid);
        return volume;
    }

    private async Task RefillAsync()
    {
        try
        {
            while (_ready.Count < ReadyDefault)
            {
                await launches.WhenQuietAsync();
                _ready.Enqueue(await CreateAsync(DefaultSizeMb, CancellationToken.None));
            }
        }
        catch (InvalidOperationException ex)
        {
            Log.RefillFailed(logger, ex);
        }
        finally
        {
            Volatile.Write(ref _refilling, 0);
        }
    }

    private async Task<TmpVolume> CreateAsync(int sizeMb, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _next).ToString(CultureInfo.InvariantCulture);
        var root = Path.Combine(work.Environments, "tmp-" + id);
        Directory.CreateDirectory(root);
        var image = Path.Combine(root, "tmp.img");
        var mountPoint = Path.Combine(root, "tmp");
        Directory.CreateDirectory(mountPoint);
        await using (var file = new FileStream(image, FileMode.CreateNew, FileAccess.Write))
        {
            file.SetLength((long)sizeMb * 1024 * 1024);
        }

        await HostCommands.CheckedAsync("mkfs.ext4",
            ["-q", "-F", "-O", "^has_journal", "-E", "lazy_itable_init=1,lazy_journal_init=1,root_owner=0:0", "-m", "0", image],
            cancellationToken: cancellationToken);
        await HostCommands.CheckedAsync("mount", ["-o", "loop,nodev,nosuid", image, mountPoint], cancellationToken: cancellationToken);
        var lostFound = Path.Combine(mountPoint, "lost+found");
        if (Directory.Exists(lostFound))
        {
            Directory.Delete(lostFound);
        }

        File.SetUnixFileMode(mountPoint, (UnixFileMode)Convert.ToInt32("1777", 8));
        return new TmpVolume(mountPoint, image, sizeMb);
    }

    /// <summary>A plain directory /tmp for development mode (no size limit, no root needed).</summary>
    public TmpVolume CreateUnsized(string id)
    {
        var dir = Path.Combine(work.Environments, id, "tmp");
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("1777", 8));
        return new TmpVolume(dir, null, 0);
    }

    public static async Task DestroyAsync(TmpVolume volume)
    {
        if (volume.Image is not null)
        {
            // Lazy unmount: a dying process may still hold a file open for a moment.
            await HostCommands.RunAsync("umount", ["-l", volume.Directory]);
        }

        try
        {
            var root = Path.GetDirectoryName(volume.Directory)!;
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
        catch (IOException)
        {
            // Swept with the work directory.
        }
    }

    public async Task DestroyReadyAsync()
    {
        while (_ready.TryDequeue(out var volume))
        {
            await DestroyAsync(volume);
        }
    }

    private static void Chown(string path, int uid, int gid)
    {
        if (Lchown(path, uid, gid) != 0)
        {
            throw new IOException($"chown {path} to {uid}:{gid} failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    private static partial int Lchown(string path, int uid, int gid);

    private static partial class Log
    {
        // 1600-1699: sandbox storage.
        [LoggerMessage(1600, LogLevel.Warning, "Could not prepare spare /tmp volumes")]
        public static partial void RefillFailed(ILogger logger, Exception exception);
    }
}
