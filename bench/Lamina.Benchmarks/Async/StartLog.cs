using System.Diagnostics;
using System.Text.Json;

namespace Lamina.Benchmarks.Async;

/// <summary>The sink's report file, read incrementally: the first start of each request id, and how many came twice.</summary>
internal sealed class StartLog(string file)
{
    private readonly Dictionary<string, StartRecord> _starts = new(StringComparer.Ordinal);
    private long _offset;

    public IReadOnlyDictionary<string, StartRecord> Starts => _starts;

    /// <summary>Reports of a request id already started: asynchronous delivery is at least once, so this may be above 0 but should not be here.</summary>
    public int Duplicates { get; private set; }

    /// <summary>Reads the lines appended since the last call (whole lines only; a line being written waits for the next call).</summary>
    public void Refresh()
    {
        if (!File.Exists(file))
        {
            return;
        }

        byte[] chunk;
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            stream.Seek(_offset, SeekOrigin.Begin);
            chunk = new byte[stream.Length - _offset];
            stream.ReadExactly(chunk);
        }

        var end = Array.LastIndexOf(chunk, (byte)'\n');
        if (end < 0)
        {
            return;
        }

        _offset += end + 1;
        ReadOnlySpan<byte> lines = chunk.AsSpan(0, end);
        foreach (var range in lines.Split((byte)'\n'))
        {
            if (lines[range].IsEmpty)
            {
                continue;
            }

            var record = Parse(lines[range]);
            if (!_starts.TryAdd(record.RequestId, record))
            {
                Duplicates++;
            }
        }
    }

    /// <summary>Polls until every one of <paramref name="requestIds"/> has started; false if <paramref name="timeout"/> passes first.</summary>
    public async Task<bool> WaitForAsync(IEnumerable<string> requestIds, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var pending = new HashSet<string>(requestIds, StringComparer.Ordinal);
        var waiting = Stopwatch.StartNew();
        while (true)
        {
            Refresh();
            pending.RemoveWhere(_starts.ContainsKey);
            if (pending.Count == 0)
            {
                return true;
            }

            if (waiting.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    private static StartRecord Parse(ReadOnlySpan<byte> line)
    {
        var json = JsonSerializer.Deserialize(line, StartLineJson.Default.StartLine)
            ?? throw new InvalidDataException("The sink wrote an empty report.");
        return new StartRecord(json.Rid, (long)Math.Round(json.T * TimeSpan.TicksPerSecond), json.Env, json.N);
    }
}
