using Lamina.Core.Api.Lambda;

namespace Lamina.Core.Storage;

/// <summary>Function-level state shared by all versions.</summary>
internal sealed record FunctionRecord
{
    public required string AccountId { get; init; }
    public required string Name { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public int? ReservedConcurrency { get; init; }
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>The highest version number ever published; numbers are never reused, even after deletes.</summary>
    public long LastVersion { get; init; }
}

/// <summary>One version of a function ($LATEST or a published number) with its code reference.</summary>
internal sealed record FunctionVersionRecord
{
    public required string AccountId { get; init; }
    public required string FunctionName { get; init; }

    /// <summary><c>$LATEST</c> or a decimal version number.</summary>
    public required string Version { get; init; }

    /// <summary>The configuration as AWS returns it, without environment variables (sealed apart).</summary>
    public required FunctionConfiguration Config { get; init; }

    /// <summary>Environment variables as sealed JSON; null when the function has none.</summary>
    public byte[]? SealedEnvironment { get; init; }

    public required string CodeBlobId { get; init; }

    /// <summary>Blob ids of the layers this version uses, in order (kept alive while referenced).</summary>
    public IReadOnlyList<string> LayerBlobIds { get; init; } = [];

    /// <summary>Hash of everything PublishVersion compares (code, configuration, environment).</summary>
    public required string ContentHash { get; init; }

    public long VersionNumber => Version == FunctionVersions.Latest ? 0 : long.Parse(Version, System.Globalization.CultureInfo.InvariantCulture);

    public string RevisionId => Config.RevisionId!;
}

internal sealed record AliasRecord
{
    public required string AccountId { get; init; }
    public required string FunctionName { get; init; }
    public required AliasConfiguration Config { get; init; }

    public string Name => Config.Name!;
}

internal sealed record LayerVersionRecord
{
    public required string AccountId { get; init; }
    public required string LayerName { get; init; }
    public required long Version { get; init; }
    public required LayerVersionResponse Info { get; init; }
    public required string CodeBlobId { get; init; }

    /// <summary>Unzipped size, which counts toward a function's 250 MB limit.</summary>
    public required long UnzippedSize { get; init; }
}

internal sealed record ProvisionedConcurrencyRecord
{
    public required string AccountId { get; init; }
    public required string FunctionName { get; init; }
    public required string Qualifier { get; init; }
    public required int Requested { get; init; }
    public required string LastModified { get; init; }
    public int Allocated { get; init; }
    public string Status { get; init; } = "IN_PROGRESS";
    public string? StatusReason { get; init; }
}

/// <summary>The index entry of a stored (encrypted) code package.</summary>
internal sealed record BlobRecord
{
    public required string Id { get; init; }
    public required string AccountId { get; init; }

    /// <summary>Base64 SHA-256 of the plaintext, as Lambda reports CodeSha256.</summary>
    public required string Sha256 { get; init; }

    public required long Size { get; init; }
    public required long UnzippedSize { get; init; }
}

/// <summary>
/// A package a write wants to reference: either one already in the index, or a freshly staged file
/// that the write inserts (deduplicating against a concurrent identical upload).
/// </summary>
internal sealed record BlobClaim(BlobRecord Blob, bool IsNew);

/// <summary>How a conditional store write ended.</summary>
internal enum WriteStatus
{
    Ok,

    /// <summary>The thing to create exists already.</summary>
    AlreadyExists,

    /// <summary>The thing to change does not exist.</summary>
    NotFound,

    /// <summary>The expected RevisionId did not match.</summary>
    RevisionMismatch,

    /// <summary>A referenced blob was deleted meanwhile; stage it again and retry.</summary>
    BlobGone,

    /// <summary>A domain rule evaluated inside the transaction refused the write (e.g. a concurrency limit).</summary>
    Refused,
}

/// <summary>The result of a write, with blob files that became unreferenced and can be removed.</summary>
internal readonly record struct WriteResult(WriteStatus Status, IReadOnlyList<string> OrphanedBlobs, string? Detail = null)
{
    public static readonly WriteResult Success = new(WriteStatus.Ok, []);

    public bool Ok => Status == WriteStatus.Ok;

    public static implicit operator WriteResult(WriteStatus status) => new(status, []);
}

internal static class FunctionVersions
{
    public const string Latest = "$LATEST";
}
