using System.Threading.Channels;
using Lamina.Core.Logs;
using Lamina.Core.Storage;

namespace Lamina.Hosting;

/// <summary>
/// Buffers log lines and writes them to the store in batches from one background task, so printing
/// never waits for a database commit on the invoke path.
/// </summary>
internal sealed partial class StoreLogSink(IStore store, TimeProvider time, ILogger<StoreLogSink> logger) : BackgroundService, ILogSink
{
    /// <summary>
    /// Under steady traffic, batches are at least this far apart, so lines that arrive meanwhile share one commit. Why:
    /// at one warm invoke per 1.4 ms each invoke's START/END/REPORT lines were their own transaction (four pages and
    /// three indexes written to the WAL per invoke); a line arriving after a quiet spell is still written at once, so
    /// a sporadic reader sees it as soon as before. CloudWatch Logs itself shows lines seconds later.
    /// </summary>
    private static readonly TimeSpan MinBatchInterval = TimeSpan.FromMilliseconds(10);

    private long _lastBatch;

    // Bounded: a function printing faster than the store can commit loses lines (counted) instead of
    // growing the server's memory; 100,000 lines is about 10-20 MB.
    private readonly Channel<LogEvent> _events = Channel.CreateBounded<LogEvent>(new BoundedChannelOptions(100_000)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private long _dropped;

    public void Write(in LogEvent logEvent)
    {
        if (!_events.Writer.TryWrite(logEvent))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<LogEvent>(512);
        var reader = _events.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                var since = time.GetElapsedTime(_lastBatch);
                if (since < MinBatchInterval && reader.Count < batch.Capacity)
                {
                    await Task.Delay(MinBatchInterval - since, time, stoppingToken);
                }

                await FlushAvailableAsync(batch, CancellationToken.None);
                _lastBatch = time.GetTimestamp();
            }
        }
        catch (OperationCanceledException)
        {
        }

        // Shutting down: write what is left.
        await FlushAvailableAsync(batch, CancellationToken.None);
    }

    private async Task FlushAvailableAsync(List<LogEvent> batch, CancellationToken cancellationToken)
    {
        while (_events.Reader.TryRead(out var e))
        {
            batch.Add(e);
            if (batch.Count == 512)
            {
                await WriteBatchAsync(batch, cancellationToken);
            }
        }

        if (batch.Count > 0)
        {
            await WriteBatchAsync(batch, cancellationToken);
        }

        var dropped = Interlocked.Exchange(ref _dropped, 0);
        if (dropped > 0)
        {
            Log.Dropped(logger, dropped);
        }
    }

    private async Task WriteBatchAsync(List<LogEvent> batch, CancellationToken cancellationToken)
    {
        try
        {
            await store.Logs.AppendAsync(batch, cancellationToken);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or IOException)
        {
            Log.WriteFailed(logger, batch.Count, ex);
        }

        batch.Clear();
    }

    private static partial class Log
    {
        // 1200-1299: function logs.
        [LoggerMessage(1200, LogLevel.Warning, "Dropped {Count} function log lines: the log writer could not keep up")]
        public static partial void Dropped(ILogger logger, long count);

        [LoggerMessage(1201, LogLevel.Error, "Could not store {Count} function log lines")]
        public static partial void WriteFailed(ILogger logger, int count, Exception exception);
    }
}
