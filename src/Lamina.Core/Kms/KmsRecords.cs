namespace Lamina.Core.Kms;

/// <summary>The states a Lamina key can be in (KMS <c>KeyState</c>; the others belong to features Lamina lacks).</summary>
internal static class KeyStates
{
    public const string Enabled = "Enabled";
    public const string Disabled = "Disabled";
    public const string PendingDeletion = "PendingDeletion";
}

/// <summary>
/// One symmetric KMS key: its metadata, key policy and 256-bit key material, sealed by the master key
/// (context <see cref="MaterialContext"/>). Changes are conditional on <see cref="Revision"/>.
/// </summary>
internal sealed record KmsKey
{
    public required string AccountId { get; init; }

    /// <summary>A UUID, as AWS gives key ids.</summary>
    public required string KeyId { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public string Description { get; init; } = "";

    public string State { get; init; } = KeyStates.Enabled;

    /// <summary>When a key pending deletion goes away (it is treated as deleted from then on).</summary>
    public DateTimeOffset? DeletionDate { get; init; }

    /// <summary>The key policy document as the caller gave it (or the default one).</summary>
    public required string Policy { get; init; }

    /// <summary><c>CUSTOMER</c>, or <c>AWS</c> for the account's <c>alias/aws/lambda</c> key.</summary>
    public string KeyManager { get; init; } = "CUSTOMER";

    /// <summary>Tags in the order they were given (KMS returns them as a list).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Tags { get; init; } = [];

    public required byte[] SealedMaterial { get; init; }

    /// <summary>Bumped by every write; a write names the revision it read.</summary>
    public long Revision { get; init; }

    public string Arn(string region) => KmsArns.Key(region, AccountId, KeyId);

    public static string MaterialContext(string accountId, string keyId) => $"kms-key:{accountId}:{keyId}";
}

/// <summary>An alias (<c>alias/NAME</c>) of a key in the same account.</summary>
internal sealed record KmsAlias
{
    public required string AccountId { get; init; }

    public required string AliasName { get; init; }

    public required string TargetKeyId { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }
}

internal static class KmsArns
{
    public static string Key(string region, string accountId, string keyId) => $"arn:aws:kms:{region}:{accountId}:key/{keyId}";

    public static string Alias(string region, string accountId, string aliasName) => $"arn:aws:kms:{region}:{accountId}:{aliasName}";
}
