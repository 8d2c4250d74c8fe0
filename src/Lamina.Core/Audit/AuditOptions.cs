using System.ComponentModel.DataAnnotations;

namespace Lamina.Core.Audit;

/// <summary>How the audit trail is written: log-file and digest cadence, sizes, retention.</summary>
internal sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>Off only in benchmarks that measure what recording costs; every request is recorded otherwise.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often recorded events are sealed into a log file (CloudTrail delivers about every 5 minutes).</summary>
    public TimeSpan LogFileInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often each account gets a signed digest (CloudTrail: hourly). Shutdown writes one too.</summary>
    public TimeSpan DigestInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Records per log file. The file is built and hashed while the store's write lock is held; 1,000 records
    /// of about 1.5 KB hash in about 2 ms, so control-plane writes are never held up long.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxRecordsPerLogFile { get; set; } = 1000;

    /// <summary>How long events stay queryable with LookupEvents (CloudTrail: 90 days). Log files are kept forever.</summary>
    public TimeSpan EventHistoryRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>The name that stands for the S3 bucket in digests (<c>digestS3Bucket</c>): the folder under <c>DATA_DIR/audit</c>.</summary>
    [RegularExpression("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    public string Bucket { get; set; } = "lamina-audit";

    /// <summary>The trail name in digest file names.</summary>
    public string TrailName { get; set; } = "lamina";
}
