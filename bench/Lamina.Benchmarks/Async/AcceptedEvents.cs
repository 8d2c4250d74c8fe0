using System.Collections.Concurrent;
using System.Net.Http.Headers;

namespace Lamina.Benchmarks.Async;

/// <summary>An event Lamina answered 202 for: its request id, and when the client had the answer (Unix-epoch ticks).</summary>
internal readonly record struct AcceptedEvent(string RequestId, long AcceptedTicks);

/// <summary>Collects accepted events from the load workers; <see cref="Record"/> runs on any worker concurrently.</summary>
internal sealed class AcceptedEvents
{
    private readonly ConcurrentQueue<AcceptedEvent> _events = new();
    private int _withoutId;

    /// <summary>Accepted answers that carried no request id (Lamina always sends one; counted to be sure).</summary>
    public int WithoutId => Volatile.Read(ref _withoutId);

    public IReadOnlyList<AcceptedEvent> ToList() => [.. _events];

    public void Record(HttpResponseMessage response)
    {
        // Read the clock first: the answer is complete (headers and the empty body) when the worker calls this.
        var now = UnixTicksNow();
        if (RequestId(response.Headers) is { } id)
        {
            _events.Enqueue(new AcceptedEvent(id, now));
        }
        else
        {
            Interlocked.Increment(ref _withoutId);
        }
    }

    /// <summary>The host's wall clock, the same clock Python's <c>time.time()</c> reads inside the sandbox.</summary>
    public static long UnixTicksNow() => DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks;

    private static string? RequestId(HttpResponseHeaders headers) =>
        headers.TryGetValues("x-amzn-RequestId", out var values) ? values.FirstOrDefault() : null;
}
