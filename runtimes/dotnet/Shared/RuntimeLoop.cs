namespace Lamina.Lambda.Shared;

/// <summary>The invoke loop shared by the class-library host and executable-mode functions.</summary>
internal static class RuntimeLoop
{
    /// <summary>
    /// Serves invocations until the Runtime API fails, then returns the exit status (1).
    /// </summary>
    /// <remarks>
    /// For each invocation: (1) long-poll <c>/next</c>; (2) publish the request id to the log sink and set
    /// <c>_X_AMZN_TRACE_ID</c> (cleared when the header is absent); (3) run <paramref name="invoke"/> with the event
    /// and an emptied output buffer; (4) flush console text still waiting for a newline; (5) post the output to
    /// <c>/response</c>, or on an exception log it at Error level and post its AWS-shaped JSON to <c>/error</c>
    /// with the type header.
    /// </remarks>
    public static async Task<int> RunAsync(RuntimeApiClient client, LogSink sink, Func<Invocation, Stream, Stream, Task> invoke,
        CancellationToken cancellationToken)
    {
        using var output = new MemoryStream();
        while (!cancellationToken.IsCancellationRequested)
        {
            Invocation invocation;
            try
            {
                invocation = await client.NextAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RuntimeApiException or HttpRequestException)
            {
                sink.WriteRuntimeLine($"Runtime API unavailable, exiting: {e.Message}");
                return 1;
            }

            sink.RequestId = invocation.RequestId;
            sink.TraceId = invocation.TraceId;
            Environment.SetEnvironmentVariable("_X_AMZN_TRACE_ID", string.IsNullOrEmpty(invocation.TraceId) ? null : invocation.TraceId);
            output.SetLength(0);
            Exception? failure = null;
            try
            {
                using var input = new MemoryStream(invocation.Body, 0, invocation.Body.Length, writable: false, publiclyVisible: true);
                await invoke(invocation, input, output).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Whatever the function throws is reported to Lambda as the invocation's error.
            catch (Exception e)
#pragma warning restore CA1031
            {
                failure = e;
            }

            sink.FlushConsole();
            try
            {
                if (failure is null)
                {
                    await client.PostResponseAsync(invocation.RequestId, output.GetBuffer(), (int)output.Length, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    sink.Write(LogLevels.Error, null, failure.ToString(), null, null, toError: true);
                    await client.PostErrorAsync(invocation.RequestId, failure.GetType().Name, ErrorJson.From(failure), cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is RuntimeApiException or HttpRequestException)
            {
                sink.WriteRuntimeLine($"Runtime API unavailable, exiting: {e.Message}");
                return 1;
            }
        }

        return 0;
    }
}
