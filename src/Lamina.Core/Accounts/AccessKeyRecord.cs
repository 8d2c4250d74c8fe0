namespace Lamina.Core.Accounts;

/// <summary>Who an access key speaks for.</summary>
internal enum PrincipalKind
{
    /// <summary>An account's root user: allowed everything in its own account.</summary>
    Root,

    /// <summary>An IAM user with long-term keys.</summary>
    User,

    /// <summary>An STS session of an assumed role (temporary keys with a session token).</summary>
    AssumedRole,

    /// <summary>Lamina itself (presigned code URLs); never handed to users.</summary>
    Service,
}

/// <summary>An access key as stored: the secret is sealed by the master key, never kept in clear.</summary>
internal sealed record AccessKeyRecord
{
    public required string AccessKeyId { get; init; }
    public required string AccountId { get; init; }
    public required PrincipalKind Kind { get; init; }

    /// <summary>ARN of the principal (root, user, or assumed-role session).</summary>
    public required string PrincipalArn { get; init; }

    /// <summary>The stable unique id AWS shows as UserId (e.g. AIDA..., AROA...:session).</summary>
    public required string PrincipalId { get; init; }

    public required byte[] SealedSecret { get; init; }
    public string Status { get; init; } = "Active";
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Temporary keys expire; long-term keys have none.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Hex SHA-256 of the session token that must accompany a temporary key.</summary>
    public string? SessionTokenHash { get; init; }

    /// <summary>Extra data of the principal (role ARN, session policy, ...), as JSON; null when none.</summary>
    public string? SessionData { get; init; }

    /// <summary>The context the sealed secret is bound to.</summary>
    public static string SecretContext(string accessKeyId) => $"access-key:{accessKeyId}";
}
