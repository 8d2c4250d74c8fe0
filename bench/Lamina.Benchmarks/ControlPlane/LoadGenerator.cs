using System.Diagnostics;
using System.Net;
using System.Text;

namespace Lamina.Benchmarks.ControlPlane;

/// <summary>
/// The closed-loop load client: <c>workers</c> tasks each send a pre-signed request, read the whole
/// response and send the next, over one <see cref="SocketsHttpHandler"/> that holds at most
/// <c>connections</c> keep-alive HTTP/1.1 connections. Every server gets an identical client.
/// </summary>
internal sealed class LoadGenerator : IDisposable
{
    private readonly HttpMessageInvoker _client;

    public LoadGenerator(int connections)
    {
        Connections = connections;
        _client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        });
    }

    public int Connections { get; }

    /// <summary>Runs for <paramref name="duration"/>; requests in flight at the deadline finish and count.</summary>
    public Task<LoadSlice> RunAsync(SignedRequestPool pool, int workers, TimeSpan duration, ServerProcess? server,
        CancellationToken cancellationToken) =>
        RunAsync(pool, workers, duration, server, LoadOptions.ClosedLoop, cancellationToken);

    /// <summary>As above, with what counts as success, an observer of successes, and optional pacing.</summary>
    public async Task<LoadSlice> RunAsync(SignedRequestPool pool, int workers, TimeSpan duration, ServerProcess? server, LoadOptions options,
        CancellationToken cancellationToken)
    {
        var self = Process.GetCurrentProcess();
        var clientCpu0 = self.TotalProcessorTime;
        var serverCpu0 = server?.CpuTime;
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var tasks = new Task<WorkerResult>[workers];
        var pace = new PaceSchedule(start, options.RatePerSecond);
        for (var i = 0; i < workers; i++)
        {
            var worker = i;
            tasks[i] = Task.Run(() => WorkAsync(pool, worker, deadline, options, pace, cancellationToken), cancellationToken);
        }

        var results = await Task.WhenAll(tasks);
        var elapsed = Stopwatch.GetElapsedTime(start);
        self.Refresh();
        var serverCpu = server is null ? (TimeSpan?)null : server.CpuTime - serverCpu0!.Value;
        var samples = new long[results.Sum(r => r.Samples.Count)];
        var offset = 0;
        foreach (var result in results)
        {
            result.Samples.CopyTo(samples, offset);
            offset += result.Samples.Count;
        }

        return new LoadSlice(samples, results.Sum(r => r.Errors), elapsed, self.TotalProcessorTime - clientCpu0, serverCpu,
            results.Sum(r => r.Bytes), results.Select(r => r.FirstError).FirstOrDefault(e => e is not null));
    }

    private sealed record WorkerResult(List<long> Samples, long Errors, long Bytes, string? FirstError);

    /// <summary>Hands out send times <c>start + k / rate</c> to whichever worker asks next (no pacing when the rate is null).</summary>
    private sealed class PaceSchedule(long start, double? ratePerSecond)
    {
        private long _next = -1;

        /// <summary>Waits until the next slot; false when it falls at or after <paramref name="deadline"/>.</summary>
        public async ValueTask<bool> WaitForSlotAsync(long deadline, CancellationToken cancellationToken)
        {
            if (ratePerSecond is not { } rate)
            {
                return Stopwatch.GetTimestamp() < deadline;
            }

            var due = start + (long)(Interlocked.Increment(ref _next) * Stopwatch.Frequency / rate);
            if (due >= deadline)
            {
                return false;
            }

            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            return true;
        }
    }

    private async Task<WorkerResult> WorkAsync(SignedRequestPool pool, int worker, long deadline, LoadOptions options, PaceSchedule pace,
        CancellationToken cancellationToken)
    {
        var samples = new List<long>(64 * 1024);
        var buffer = new byte[64 * 1024];
        long errors = 0, bytes = 0;
        string? firstError = null;
        long next = worker;
        while (await pace.WaitForSlotAsync(deadline, cancellationToken))
        {
            using var message = pool.Get(next++).ToMessage();
            var sent = Stopwatch.GetTimestamp();
            try
            {
                using var response = await _client.SendAsync(message, cancellationToken);
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                long length = 0;
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    length += read;
                }

                var done = Stopwatch.GetTimestamp();
                // An invoke whose function failed still answers 200 (or 202), flagged by X-Amz-Function-Error: not a success.
                if (response.StatusCode == options.Expected && !response.Headers.Contains("X-Amz-Function-Error"))
                {
                    samples.Add(done - sent);
                    bytes += length;
                    options.OnSuccess?.Invoke(response);
                }
                else
                {
                    errors++;
                    firstError ??= $"HTTP {(int)response.StatusCode} from {message.RequestUri}: " +
                                   Encoding.UTF8.GetString(buffer, 0, (int)Math.Min(length, 300));
                }
            }
            catch (HttpRequestException ex)
            {
                errors++;
                firstError ??= $"{message.RequestUri}: {ex.Message}";
            }
        }

        return new WorkerResult(samples, errors, bytes, firstError);
    }

    public void Dispose() => _client.Dispose();
}
