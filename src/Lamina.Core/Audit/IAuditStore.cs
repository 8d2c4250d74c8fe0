namespace Lamina.Core.Audit;

/// <summary>
/// The audit trail's system of record: events (append-only, group-committed), the log files and digests
/// they are sealed into, and the digest signing keys. Files on disk are written from these rows, so a row
/// always exists before its file (a crash between the two is repaired by <see cref="AuditSealer.RecoverAsync"/>).
/// </summary>
internal interface IAuditStore
{
    /// <summary>
    /// Appends events and returns once they are durable (fsync'd). Concurrent appends share one
    /// transaction (group commit); the events of one call are committed together.
    /// </summary>
    Task AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken);

    /// <summary>Events of one account, newest first, matching one attribute and a time range (LookupEvents).</summary>
    Task<IReadOnlyList<AuditEvent>> LookupAsync(AuditLookup query, CancellationToken cancellationToken);

    /// <summary>Accounts that have events not yet in a log file.</summary>
    Task<IReadOnlyList<string>> ListAccountsWithUnsealedEventsAsync(CancellationToken cancellationToken);

    /// <summary>Accounts that have log files or digests (each gets a digest every period, even an empty one).</summary>
    Task<IReadOnlyList<string>> ListTrailAccountsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction: takes up to <paramref name="maxRecords"/> of the account's oldest unsealed events,
    /// lets <paramref name="build"/> describe the log file they make, records it (not yet written) and marks
    /// the events sealed into it. Null when the account has no unsealed events.
    /// </summary>
    Task<AuditLogFile?> SealLogFileAsync(string accountId, int maxRecords, Func<IReadOnlyList<AuditEvent>, AuditLogFile> build,
        CancellationToken cancellationToken);

    /// <summary>The records of a log file in file order.</summary>
    Task<IReadOnlyList<string>> ReadLogRecordsAsync(long logFileId, CancellationToken cancellationToken);

    Task MarkLogFileWrittenAsync(long logFileId, CancellationToken cancellationToken);

    /// <summary>Log files, oldest first; for one account or all (null), optionally only those whose file is not written yet.</summary>
    Task<IReadOnlyList<AuditLogFile>> ListLogFilesAsync(string? accountId, bool unwrittenOnly, CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction: hands <paramref name="build"/> the account's newest digest (null for the first) and
    /// its written log files that no digest lists yet; records the digest it returns (not yet written) and
    /// assigns those log files to it. <paramref name="build"/> returning null records nothing.
    /// </summary>
    Task<AuditDigest?> CreateDigestAsync(string accountId, Func<AuditDigest?, IReadOnlyList<AuditLogFile>, AuditDigest?> build,
        CancellationToken cancellationToken);

    /// <summary>Marks the digest's file written and drops the copy of its content kept until then.</summary>
    Task MarkDigestWrittenAsync(long digestId, CancellationToken cancellationToken);

    /// <summary>Digests, oldest first; for one account or all (null), optionally only those whose file is not written yet.</summary>
    Task<IReadOnlyList<AuditDigest>> ListDigestsAsync(string? accountId, bool unwrittenOnly, CancellationToken cancellationToken);

    Task<IReadOnlyList<AuditSigningKey>> ListSigningKeysAsync(CancellationToken cancellationToken);

    /// <summary>Adds a signing key unless an active one (no <c>ValidTo</c>) exists already; false then.</summary>
    Task<bool> AddSigningKeyAsync(AuditSigningKey key, CancellationToken cancellationToken);

    /// <summary>Deletes events older than <paramref name="before"/> that are sealed in a log file; returns how many.</summary>
    Task<int> PurgeEventsAsync(DateTimeOffset before, CancellationToken cancellationToken);
}

/// <summary>LookupEvents' question: one account, at most one attribute, a time range, a page.</summary>
internal sealed record AuditLookup
{
    public required string AccountId { get; init; }

    /// <summary>One of <see cref="AuditLookupAttribute"/>'s names, with <see cref="AttributeValue"/>; null for all events.</summary>
    public AuditLookupAttribute? Attribute { get; init; }

    public string? AttributeValue { get; init; }

    public DateTimeOffset? StartTime { get; init; }

    public DateTimeOffset? EndTime { get; init; }

    public int Limit { get; init; } = 50;

    /// <summary>Resume after this event (the last one of the previous page): its time and sequence.</summary>
    public (DateTimeOffset Time, long Sequence)? After { get; init; }
}

/// <summary>The LookupAttributeKey values of the CloudTrail model.</summary>
internal enum AuditLookupAttribute
{
    EventId,
    EventName,
    ReadOnly,
    Username,
    ResourceType,
    ResourceName,
    EventSource,
    AccessKeyId,
}

/// <summary>A sealed log file: its object key, the SHA-256 of its uncompressed content and the span of its events.</summary>
internal sealed record AuditLogFile
{
    public long Id { get; init; }

    public required string AccountId { get; init; }

    public required string Bucket { get; init; }

    public required string ObjectKey { get; init; }

    /// <summary>Hex SHA-256 of the uncompressed file (CloudTrail's <c>hashValue</c>).</summary>
    public required string HashValue { get; init; }

    public required DateTimeOffset OldestEventTime { get; init; }

    public required DateTimeOffset NewestEventTime { get; init; }

    public required long FirstSequence { get; init; }

    public required long LastSequence { get; init; }

    public required int RecordCount { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public bool Written { get; init; }

    public long? DigestId { get; init; }
}

/// <summary>A signed digest as issued: where it is, its hash and signature, and until written, its content.</summary>
internal sealed record AuditDigest
{
    public long Id { get; init; }

    public required string AccountId { get; init; }

    public required DateTimeOffset StartTime { get; init; }

    public required DateTimeOffset EndTime { get; init; }

    public required string Bucket { get; init; }

    public required string ObjectKey { get; init; }

    /// <summary>Hex SHA-256 of the uncompressed digest.</summary>
    public required string HashValue { get; init; }

    /// <summary>Hex RSA signature of the signed string (CloudTrail's <c>x-amz-meta-signature</c>).</summary>
    public required string Signature { get; init; }

    public required string Fingerprint { get; init; }

    /// <summary>The uncompressed digest, kept until its file is written so that a crash in between can be repaired.</summary>
    public byte[]? Content { get; init; }

    public bool Written { get; init; }
}

/// <summary>A digest signing key: RSA-2048, the public half as PKCS#1 DER (what ListPublicKeys returns), the private half sealed by the master key.</summary>
internal sealed record AuditSigningKey
{
    public required string Fingerprint { get; init; }

    public required byte[] PublicKey { get; init; }

    public required byte[] SealedPrivateKey { get; init; }

    public required DateTimeOffset ValidFrom { get; init; }

    /// <summary>Null while the key is the one in use.</summary>
    public DateTimeOffset? ValidTo { get; init; }
}
