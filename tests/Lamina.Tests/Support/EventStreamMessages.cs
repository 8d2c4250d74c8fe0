using System.Buffers.Binary;
using System.Text;

namespace Lamina.Tests.Support;

/// <summary>Parses AWS event-stream messages (InvokeWithResponseStream bodies) for assertions.</summary>
public static class EventStreamMessages
{
    public sealed record Message(IReadOnlyDictionary<string, string> Headers, byte[] Payload)
    {
        public string EventType => Headers[":event-type"];

        public string Text => Encoding.UTF8.GetString(Payload);
    }

    public static List<Message> Parse(byte[] body)
    {
        var messages = new List<Message>();
        var offset = 0;
        while (offset < body.Length)
        {
            var total = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(offset));
            var headerLength = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(offset + 4));
            Assert.Equal(System.IO.Hashing.Crc32.HashToUInt32(body.AsSpan(offset, 8)), BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(offset + 8)));
            Assert.Equal(System.IO.Hashing.Crc32.HashToUInt32(body.AsSpan(offset, total - 4)),
                BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(offset + total - 4)));
            var headers = new Dictionary<string, string>();
            var h = offset + 12;
            var end = h + headerLength;
            while (h < end)
            {
                int nameLength = body[h++];
                var name = Encoding.ASCII.GetString(body, h, nameLength);
                h += nameLength;
                Assert.Equal(7, body[h++]);
                var valueLength = BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(h));
                h += 2;
                headers[name] = Encoding.UTF8.GetString(body, h, valueLength);
                h += valueLength;
            }

            messages.Add(new Message(headers, body[end..(offset + total - 4)]));
            offset += total;
        }

        return messages;
    }
}
