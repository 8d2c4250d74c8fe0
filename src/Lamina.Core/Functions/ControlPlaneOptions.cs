using System.ComponentModel.DataAnnotations;

namespace Lamina.Core.Functions;

/// <summary>Server-wide settings of the Lambda control plane.</summary>
internal sealed class ControlPlaneOptions
{
    public const string Section = "ControlPlane";

    /// <summary>The one region this server is (scope of SigV4 and ARNs).</summary>
    [Required]
    [RegularExpression(@"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")]
    public string Region { get; set; } = "us-east-1";

    /// <summary>Concurrent executions per account (AWS default quota: 1,000).</summary>
    [Range(1, 1_000_000)]
    public int AccountConcurrencyLimit { get; set; } = 1000;

    /// <summary>Capacity that reserved concurrency may never take from the account pool (AWS: 100).</summary>
    [Range(0, 1_000_000)]
    public int UnreservedConcurrencyMinimum { get; set; } = 100;

    /// <summary>How long a presigned code URL stays valid (AWS: 10 minutes).</summary>
    public TimeSpan CodeUrlLifetime { get; set; } = TimeSpan.FromMinutes(10);
}
