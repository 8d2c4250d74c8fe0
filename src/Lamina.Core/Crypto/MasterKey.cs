using System.Security.Cryptography;

namespace Lamina.Core.Crypto;

/// <summary>
/// The server's root secret: 256-bit AES keys kept in one file readable only by its owner. Every data
/// key in the store is wrapped by the active master key; older keys stay in the file so that data
/// sealed before a rotation can still be opened (and re-wrapped).
/// </summary>
/// <remarks>
/// File format, one key per line: <c>keyId:base64(32 bytes)</c>; the last line is the active key.
/// </remarks>
internal sealed class MasterKey
{
    public const int KeySize = 32;

    private readonly Dictionary<uint, byte[]> _keys;

    private MasterKey(Dictionary<uint, byte[]> keys, uint activeId)
    {
        _keys = keys;
        ActiveKeyId = activeId;
    }

    public uint ActiveKeyId { get; }

    public ReadOnlySpan<byte> ActiveKey => _keys[ActiveKeyId];

    public bool TryGetKey(uint keyId, out byte[] key) => _keys.TryGetValue(keyId, out key!);

    /// <summary>Builds a key ring in memory (tests, benchmarks).</summary>
    public static MasterKey FromBytes(byte[] key, uint keyId = 1) => new(new Dictionary<uint, byte[]> { [keyId] = key }, keyId);

    /// <summary>Loads the key file, creating it with one fresh key (mode 0600) when absent.</summary>
    public static MasterKey LoadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            var key = RandomNumberGenerator.GetBytes(KeySize);
            WriteNew(path, $"1:{Convert.ToBase64String(key)}\n");
        }

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

        return new MasterKey(keys, active);
    }

    /// <summary>Appends a new active key to the file and returns the new ring (old keys kept for reading).</summary>
    public static MasterKey Rotate(string path)
    {
        var current = LoadOrCreate(path);
        var nextId = current._keys.Keys.Max() + 1;
        var key = RandomNumberGenerator.GetBytes(KeySize);
        var text = File.ReadAllText(path);
        if (text.Length > 0 && !text.EndsWith('\n'))
        {
            text += "\n";
        }

        var tmp = path + ".tmp";
        WriteNew(tmp, text + $"{nextId}:{Convert.ToBase64String(key)}\n");
        File.Move(tmp, path, overwrite: true);
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
