using Lamina.Core.Storage;

namespace Lamina.Core.Audit;

/// <summary>
/// Turns recorded events into CloudTrail-style log files and signed digests.
/// </summary>
/// <remarks>
/// Sealing a log file (each <see cref="AuditOptions.LogFileInterval"/>):
/// (1) in one store transaction, the account's oldest unsealed events (at most <see cref="AuditOptions.MaxRecordsPerLogFile"/>)
///     are assigned to a new log-file row holding the SHA-256 of the file's uncompressed content;
/// (2) the file is written (gzip, fsync, rename, directory fsync) and (3) its row marked written.
/// Digesting (each <see cref="AuditOptions.DigestInterval"/> and at shutdown), per account:
/// (1) pending events are sealed first;
/// (2) in one transaction, the written log files no digest lists yet go into a new digest whose
///     previousDigest* fields name the account's newest digest; its signed string is signed and the digest
///     row stored (content included);
/// (3) the signature file, then the digest file are written, and (4) the row marked written.
/// A row always exists before its file, so a crash between leaves a row marked unwritten, which
/// <see cref="RecoverAsync"/> writes at the next start. A file that disappears after being written is not
/// rewritten: that is tampering, for <see cref="AuditVerifier"/> to report.
/// </remarks>
internal sealed class AuditSealer(IStore store, AuditSigner signer, AuditLayout layout, AuditOptions options, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Writes the files of rows that a crash left unwritten; returns how many.</summary>
    public async Task<int> RecoverAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var count = 0;
            foreach (var log in await store.Audit.ListLogFilesAsync(null, unwrittenOnly: true, cancellationToken))
            {
                var content = AuditFiles.LogContent(await store.Audit.ReadLogRecordsAsync(log.Id, cancellationToken));
                if (AuditFiles.Sha256Hex(content) != log.HashValue)
                {
                    throw new InvalidDataException($"Audit log file {log.ObjectKey}: its stored records no longer hash to {log.HashValue}.");
                }

                await WriteLogAsync(log, content, cancellationToken);
                count++;
            }

            foreach (var digest in await store.Audit.ListDigestsAsync(null, unwrittenOnly: true, cancellationToken))
            {
                await WriteDigestAsync(digest, digest.Content!, cancellationToken);
                count++;
            }

            return count;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Seals every account's pending events into log files; returns how many files were written.</summary>
    public async Task<int> SealAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await SealPendingAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Seals pending events, then writes one signed digest per account with a trail; returns how many digests.</summary>
    public async Task<int> DigestAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await SealPendingAsync(cancellationToken);
            var count = 0;
            foreach (var account in await store.Audit.ListTrailAccountsAsync(cancellationToken))
            {
                byte[]? content = null;
                var digest = await store.Audit.CreateDigestAsync(account, (previous, logs) =>
                {
                    var built = BuildDigest(account, previous, logs);
                    content = built?.Content;
                    return built;
                }, cancellationToken);
                if (digest is not null)
                {
                    await WriteDigestAsync(digest, content!, cancellationToken);
                    count++;
                }
            }

            return count;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Drops LookupEvents history past its retention (sealed events only; the log files stay).</summary>
    public Task<int> PurgeAsync(CancellationToken cancellationToken) =>
        store.Audit.PurgeEventsAsync(time.GetUtcNow() - options.EventHistoryRetention, cancellationToken);

    private async Task<int> SealPendingAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        foreach (var account in await store.Audit.ListAccountsWithUnsealedEventsAsync(cancellationToken))
        {
            while (true)
            {
                byte[]? content = null;
                var log = await store.Audit.SealLogFileAsync(account, options.MaxRecordsPerLogFile, events =>
                {
                    content = AuditFiles.LogContent(events.Select(e => e.Record));
                    var now = time.GetUtcNow();
                    return new AuditLogFile
                    {
                        AccountId = account,
                        Bucket = layout.Bucket,
                        ObjectKey = layout.LogKey(account, now, events[0].Sequence),
                        HashValue = AuditFiles.Sha256Hex(content),
                        OldestEventTime = events.Min(e => e.EventTime),
                        NewestEventTime = events.Max(e => e.EventTime),
                        FirstSequence = events[0].Sequence,
                        LastSequence = events[^1].Sequence,
                        RecordCount = events.Count,
                        CreatedAt = now,
                    };
                }, cancellationToken);
                if (log is null)
                {
                    break;
                }

                await WriteLogAsync(log, content!, cancellationToken);
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// The digest after <paramref name="previous"/>, or null when the account has nothing to digest yet. Its end
    /// time is now to the second, and always later than the previous end, so each digest has its own key.
    /// </summary>
    private AuditDigest? BuildDigest(string accountId, AuditDigest? previous, IReadOnlyList<AuditLogFile> logs)
    {
        if (previous is null && logs.Count == 0)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var end = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        if (previous is not null && end <= previous.EndTime)
        {
            end = previous.EndTime.AddSeconds(1);
        }

        var start = previous?.EndTime ?? Floor(logs.Min(l => l.OldestEventTime));
        var key = layout.DigestKey(accountId, end);
        var content = DigestDocument.Build(accountId, start, end, layout.Bucket, key, signer.Fingerprint, previous, logs);
        var hash = AuditFiles.Sha256Hex(content);
        var signature = signer.Sign(DigestDocument.StringToSign(AuditFiles.TimeText(end), layout.Bucket, key, hash, previous?.Signature));
        return new AuditDigest
        {
            AccountId = accountId,
            StartTime = start,
            EndTime = end,
            Bucket = layout.Bucket,
            ObjectKey = key,
            HashValue = hash,
            Signature = signature,
            Fingerprint = signer.Fingerprint,
            Content = content,
        };
    }

    private static DateTimeOffset Floor(DateTimeOffset time) => new(time.UtcTicks - time.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);

    private async Task WriteLogAsync(AuditLogFile log, byte[] content, CancellationToken cancellationToken)
    {
        await DurableFile.WriteAsync(layout.PathOf(log), AuditFiles.Gzip(content), overwrite: true, cancellationToken);
        await store.Audit.MarkLogFileWrittenAsync(log.Id, cancellationToken);
    }

    private async Task WriteDigestAsync(AuditDigest digest, byte[] content, CancellationToken cancellationToken)
    {
        var path = layout.PathOf(digest);
        await DurableFile.WriteAsync(path + AuditLayout.SidecarSuffix, DigestDocument.Sidecar(digest.Signature), overwrite: true, cancellationToken);
        await DurableFile.WriteAsync(path, AuditFiles.Gzip(content), overwrite: true, cancellationToken);
        await store.Audit.MarkDigestWrittenAsync(digest.Id, cancellationToken);
    }

    public void Dispose() => _gate.Dispose();
}
