using System.Security.Cryptography;

namespace Lamina.Core.Crypto;

/// <summary>
/// The server's root secret: 256-bit AES keys kept in one file readable only by its owner. Every data
/// key in the store is wrapped by the active master key; older keys stay in the file so that data
/// sealed before a rotation can still be opened (and re-wrapped).
/// </summary>
/// <remarks>
/// File format, one key per line: <c>keyId:base64(32 bytes)</c>; the last line is the active key.
/// The ring can change while the server runs (<c>lamina keys rotate-master</c> appends a key): a key id
/// the ring does not know makes it re-read the file at once, and <see cref="Refresh"/>, called
/// periodically by the server, picks up a new active key. Readers take one <see cref="Active"/>
/// snapshot so an id and its key never come from two different rings.
/// </remarks>
internal sealed class MasterKey
{
    public const int KeySize = 32;

    /// <summary>A file re-read on a key-id miss waits at least this long before the next miss may re-read it.</summary>
    private static readonly TimeSpan MissRereadInterval = TimeSpan.FromMilliseconds(200);

    private readonly string? _path;
    private readonly Lock _reload = new();
    private Ring _ring;
    private (DateTime WrittenAt, long Length) _stamp;
    private long _lastMissReread;

    private MasterKey(Ring ring, string? path, (DateTime, long) stamp)
    {
        _ring = ring;
        _path = path;
        _stamp = stamp;
    }

    /// <summary>An immutable view of the key file: every key by id, and which one is active.</summary>
    private sealed record Ring(Dictionary<uint, byte[]> Keys, uint ActiveId);

    /// <summary>The active key's id and bytes, from one consistent ring.</summary>
    public (uint Id, byte[] Key) Active
    {
        get
        {
            var ring = Volatile.Read(ref _ring);
            return (ring.ActiveId, ring.Keys[ring.ActiveId]);
        }
    }

    public uint ActiveKeyId => Volatile.Read(ref _ring).ActiveId;

    public ReadOnlySpan<byte> ActiveKey => Active.Key;

    /// <summary>Ids of every key in the ring, oldest first.</summary>
    public IReadOnlyList<uint> KeyIds => [.. Volatile.Read(ref _ring).Keys.Keys.Order()];

    /// <summary>The key with this id; an unknown id re-reads the key file once (a rotation by another process).</summary>
    public bool TryGetKey(uint keyId, out byte[] key)
    {
        if (Volatile.Read(ref _ring).Keys.TryGetValue(keyId, out key!))
        {
            return true;
        }

        var now = Environment.TickCount64;
        if (_path is not null && now - Interlocked.Read(ref _lastMissReread) >= MissRereadInterval.TotalMilliseconds)
        {
            Interlocked.Exchange(ref _lastMissReread, now);
            Refresh();
        }

        return Volatile.Read(ref _ring).Keys.TryGetValue(keyId, out key!);
    }

    /// <summary>Re-reads the key file if it changed since it was last read; true when the ring changed.</summary>
    public bool Refresh()
    {
        if (_path is null)
        {
            return false;
        }

        lock (_reload)
        {
            var stamp = Stamp(_path);
            if (stamp == _stamp)
            {
                return false;
            }

            var ring = Read(_path);
            _stamp = stamp;
            Volatile.Write(ref _ring, ring);
            return true;
        }
    }

    /// <summary>Builds a key ring in memory (tests, benchmarks).</summary>
    public static MasterKey FromBytes(byte[] key, uint keyId = 1) => new(new Ring(new Dictionary<uint, byte[]> { [keyId] = key }, keyId), null, default);

    /// <summary>Loads the key file, creating it with one fresh key (mode 0600) when absent.</summary>
    public static MasterKey LoadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            var key = RandomNumberGenerator.GetBytes(KeySize);
            WriteNew(path, $"1:{Convert.ToBase64String(key)}\n");
        }

        var stamp = Stamp(path);
        return new MasterKey(Read(path), path, stamp);
    }

    private static (DateTime, long) Stamp(string path)
    {
        var info = new FileInfo(path);
        return (info.LastWriteTimeUtc, info.Length);
    }

    private static Ring Read(string path)
    {
        EnsureOwnerOnly(path);
        var keys = new Dictionary<uint, byte[]>();
        uint active = 0;
        foreach (var line in File.ReadAllLines(path))
        {
            if (line.Length == 0)
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !uint.TryParse(line.AsSpan(0, colon), out var id))
            {
                throw new InvalidDataException($"{path}: malformed master key line; expected 'id:base64'.");
            }

            var bytes = Convert.FromBase64String(line[(colon + 1)..]);
            if (bytes.Length != KeySize)
            {
                throw new InvalidDataException($"{path}: master key {id} is {bytes.Length} bytes; expected {KeySize}.");
            }

            keys[id] = bytes;
            active = id;
        }

        if (keys.Count == 0)
        {
            throw new InvalidDataException($"{path} holds no master key.");
        }

        return new Ring(keys, active);
    }

    /// <summary>
    /// Appends a new active key to the file (written to a temporary name and renamed, so a reader sees
    /// the old file or the new one) and returns the new ring; old keys are kept for reading.
    /// </summary>
    public static MasterKey Rotate(string path)
    {
        var current = LoadOrCreate(path);
        var nextId = current._ring.Keys.Keys.Max() + 1;
        var key = RandomNumberGenerator.GetBytes(KeySize);
        var text = File.ReadAllText(path);
        if (text.Length > 0 && !text.EndsWith('\n'))
        {
            text += "\n";
        }

        var tmp = path + ".tmp";
        WriteNew(tmp, text + $"{nextId}:{Convert.ToBase64String(key)}\n");
        File.Move(tmp, path, overwrite: true);
        Native.Posix.FsyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        return LoadOrCreate(path);
    }

    private static void WriteNew(string path, string content)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            Share = FileShare.None,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private static void EnsureOwnerOnly(string path)
    {
        var mode = File.GetUnixFileMode(path);
        const UnixFileMode groupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        if ((mode & groupOrOther) != 0)
        {
            throw new UnauthorizedAccessException(
                $"{path} is readable by other users (mode {Convert.ToString((int)mode, 8)}); run 'chmod 600 {path}'.");
        }
    }
}
