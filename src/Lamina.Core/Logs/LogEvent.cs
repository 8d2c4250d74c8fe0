namespace Lamina.Core.Logs;

/// <summary>One line of a function's log, as CloudWatch Logs keeps it (group <c>/aws/lambda/NAME</c>, one stream per environment).</summary>
internal readonly record struct LogEvent(string AccountId, string LogGroup, string LogStream, DateTimeOffset Timestamp, string Message);

/// <summary>Where function and platform log lines go. Writes are buffered; a crash may lose the last lines, as AWS's log delivery may.</summary>
internal interface ILogSink
{
    void Write(in LogEvent logEvent);
}

/// <summary>Stored log events.</summary>
internal interface ILogStore
{
    Task AppendAsync(IReadOnlyList<LogEvent> events, CancellationToken cancellationToken);

    /// <summary>Events of a group (optionally one stream) in time order, after <paramref name="afterSequence"/>.</summary>
    Task<IReadOnlyList<(long Sequence, LogEvent Event)>> ReadAsync(string accountId, string logGroup, string? logStream, long afterSequence,
        int limit, CancellationToken cancellationToken);

    /// <summary>Streams of a group with their last event time.</summary>
    Task<IReadOnlyList<(string Stream, DateTimeOffset LastEvent)>> ListStreamsAsync(string accountId, string logGroup, CancellationToken cancellationToken);
}
