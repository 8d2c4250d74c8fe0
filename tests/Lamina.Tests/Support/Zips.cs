using System.IO.Compression;
using System.Text;

namespace Lamina.Tests.Support;

/// <summary>Builds deployment packages in memory; the same files always give the same bytes.</summary>
public static class Zips
{
    // Entries carry a timestamp (2-second resolution); the default, now, made two builds of one package
    // differ whenever they straddled a tick, so comparing a download with a fresh build failed at random.
    private static readonly DateTimeOffset EntryTime = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static byte[] Of(params (string Path, string Content)[] files)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (path, content) in files)
            {
                var entry = zip.CreateEntry(path, CompressionLevel.Fastest);
                entry.LastWriteTime = EntryTime;
                using var stream = entry.Open();
                stream.Write(Encoding.UTF8.GetBytes(content));
            }
        }

        return buffer.ToArray();
    }

    /// <summary>A zip whose entries are marked executable (Unix mode 0755 in the external attributes).</summary>
    public static byte[] Executable(params (string Path, string Content)[] files) =>
        Executable(files.Select(f => (f.Path, Encoding.UTF8.GetBytes(f.Content))).ToArray());

    /// <summary><see cref="Executable(ValueTuple{string, string}[])"/> for binary entries (native modules).</summary>
    public static byte[] Executable(params (string Path, byte[] Content)[] files)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (path, content) in files)
            {
                var entry = zip.CreateEntry(path, CompressionLevel.Fastest);
                entry.ExternalAttributes = (int)(0x8000 | 0b111_101_101) << 16;
                using var stream = entry.Open();
                stream.Write(content);
            }
        }

        return buffer.ToArray();
    }

    public static byte[] NodeHandler(string body = "exports.handler = async (event) => ({ ok: true, event });") =>
        Of(("index.js", body));
}
