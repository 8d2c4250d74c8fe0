using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Lamina.DataPlane;

/// <summary>
/// Writes AWS event-stream messages (<c>application/vnd.amazon.eventstream</c>), the framing of
/// InvokeWithResponseStream: total length, headers length, prelude CRC32, string headers, payload,
/// message CRC32, all big-endian.
/// </summary>
internal static class EventStreamWriter
{
    private const byte StringHeaderType = 7;

    public static byte[] Event(string eventType, string contentType, ReadOnlySpan<byte> payload)
    {
        Span<byte> headers = stackalloc byte[256];
        var headerLength = 0;
        headerLength += WriteHeader(headers[headerLength..], ":event-type", eventType);
        headerLength += WriteHeader(headers[headerLength..], ":content-type", contentType);
        headerLength += WriteHeader(headers[headerLength..], ":message-type", "event");

        var total = 12 + headerLength + payload.Length + 4;
        var message = new byte[total];
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(0, 4), total);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(4, 4), headerLength);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(8, 4), Crc32.HashToUInt32(message.AsSpan(0, 8)));
        headers[..headerLength].CopyTo(message.AsSpan(12));
        payload.CopyTo(message.AsSpan(12 + headerLength));
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(total - 4), Crc32.HashToUInt32(message.AsSpan(0, total - 4)));
        return message;
    }

    private static int WriteHeader(Span<byte> target, string name, string value)
    {
        var offset = 0;
        target[offset++] = (byte)name.Length;
        offset += Encoding.ASCII.GetBytes(name, target[offset..]);
        target[offset++] = StringHeaderType;
        var valueLength = Encoding.UTF8.GetBytes(value, target[(offset + 2)..]);
        BinaryPrimitives.WriteUInt16BigEndian(target[offset..], (ushort)valueLength);
        return offset + 2 + valueLength;
    }
}
