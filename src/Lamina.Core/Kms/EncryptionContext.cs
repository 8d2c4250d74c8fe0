using System.Buffers.Binary;
using System.Text;

namespace Lamina.Core.Kms;

/// <summary>
/// The canonical bytes of a KMS encryption context, used as associated data: pairs sorted by key
/// (ordinal, so case-sensitive and independent of the order the caller sent them), each key and value
/// length-prefixed so no two different contexts encode alike (<c>{"a":"bc"}</c> is not <c>{"ab":"c"}</c>).
/// </summary>
internal static class EncryptionContext
{
    public static byte[] Encode(IReadOnlyDictionary<string, string>? context)
    {
        if (context is null || context.Count == 0)
        {
            return [];
        }

        using var buffer = new MemoryStream();
        Span<byte> length = stackalloc byte[4];
        foreach (var (key, value) in context.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            foreach (var text in (ReadOnlySpan<string>)[key, value])
            {
                var bytes = Encoding.UTF8.GetBytes(text);
                BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
                buffer.Write(length);
                buffer.Write(bytes);
            }
        }

        return buffer.ToArray();
    }
}
