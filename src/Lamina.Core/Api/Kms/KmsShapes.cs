using System.Text.Json.Serialization;

namespace Lamina.Core.Api.Kms;

// Wire shapes of the KMS 2014-11-01 model (botocore kms/2014-11-01/service-2.json), JSON 1.1: blobs are
// base64 strings, timestamps epoch seconds. Requests of operations that share members share a shape here
// (botocore sends only an operation's own members); null members are omitted when written.

internal sealed record KmsTag
{
    public string? TagKey { get; init; }
    public string? TagValue { get; init; }
}

internal sealed record CreateKeyRequest
{
    public string? Policy { get; init; }
    public string? Description { get; init; }
    public string? KeyUsage { get; init; }
    public string? CustomerMasterKeySpec { get; init; }
    public string? KeySpec { get; init; }
    public string? Origin { get; init; }
    public string? CustomKeyStoreId { get; init; }
    public bool? BypassPolicyLockoutSafetyCheck { get; init; }
    public List<KmsTag>? Tags { get; init; }
    public bool? MultiRegion { get; init; }
    public string? XksKeyId { get; init; }
}

/// <summary>DescribeKey, Enable/DisableKey, Schedule/CancelKeyDeletion, Get/PutKeyPolicy, ListResourceTags, Tag/UntagResource, ListKeys.</summary>
internal sealed record KeyRequest
{
    public string? KeyId { get; init; }
    public List<string>? GrantTokens { get; init; }
    public int? PendingWindowInDays { get; init; }
    public string? PolicyName { get; init; }
    public string? Policy { get; init; }
    public bool? BypassPolicyLockoutSafetyCheck { get; init; }
    public List<KmsTag>? Tags { get; init; }
    public List<string>? TagKeys { get; init; }
    public int? Limit { get; init; }
    public string? Marker { get; init; }
}

/// <summary>CreateAlias, UpdateAlias, DeleteAlias.</summary>
internal sealed record AliasRequest
{
    public string? AliasName { get; init; }
    public string? TargetKeyId { get; init; }
}

/// <summary>Encrypt, Decrypt, GenerateDataKey(WithoutPlaintext), ReEncrypt.</summary>
internal sealed record CryptoRequest
{
    public string? KeyId { get; init; }
    public byte[]? Plaintext { get; init; }
    public byte[]? CiphertextBlob { get; init; }
    public Dictionary<string, string>? EncryptionContext { get; init; }
    public List<string>? GrantTokens { get; init; }
    public string? EncryptionAlgorithm { get; init; }
    public bool? DryRun { get; init; }
    public int? NumberOfBytes { get; init; }
    public string? KeySpec { get; init; }
    public string? SourceKeyId { get; init; }
    public Dictionary<string, string>? SourceEncryptionContext { get; init; }
    public string? SourceEncryptionAlgorithm { get; init; }
    public string? DestinationKeyId { get; init; }
    public Dictionary<string, string>? DestinationEncryptionContext { get; init; }
    public string? DestinationEncryptionAlgorithm { get; init; }
    public System.Text.Json.JsonElement? Recipient { get; init; }
}

internal sealed record KeyMetadata
{
    public string? AWSAccountId { get; init; }
    public required string KeyId { get; init; }
    public string? Arn { get; init; }
    public double? CreationDate { get; init; }
    public bool? Enabled { get; init; }
    public string? Description { get; init; }
    public string? KeyUsage { get; init; }
    public string? KeyState { get; init; }
    public double? DeletionDate { get; init; }
    public string? Origin { get; init; }
    public string? KeyManager { get; init; }
    public string? CustomerMasterKeySpec { get; init; }
    public string? KeySpec { get; init; }
    public List<string>? EncryptionAlgorithms { get; init; }
    public bool? MultiRegion { get; init; }
}

internal sealed record KeyMetadataResponse(KeyMetadata KeyMetadata);

internal sealed record KeyListEntry(string KeyId, string KeyArn);

internal sealed record ListKeysResponse(List<KeyListEntry> Keys, bool Truncated, string? NextMarker);

internal sealed record AliasListEntry(string AliasName, string AliasArn, string TargetKeyId, double CreationDate, double LastUpdatedDate);

internal sealed record ListAliasesResponse(List<AliasListEntry> Aliases, bool Truncated, string? NextMarker);

internal sealed record ListResourceTagsResponse(List<KmsTag> Tags, bool Truncated);

internal sealed record EncryptResponse(byte[] CiphertextBlob, string KeyId, string EncryptionAlgorithm);

internal sealed record DecryptResponse(string KeyId, byte[] Plaintext, string EncryptionAlgorithm);

internal sealed record GenerateDataKeyResponse
{
    public required byte[] CiphertextBlob { get; init; }
    public byte[]? Plaintext { get; init; }
    public required string KeyId { get; init; }
}

internal sealed record ReEncryptResponse(byte[] CiphertextBlob, string SourceKeyId, string KeyId, string SourceEncryptionAlgorithm,
    string DestinationEncryptionAlgorithm);

internal sealed record ScheduleKeyDeletionResponse(string KeyId, double DeletionDate, string KeyState, int PendingWindowInDays);

internal sealed record CancelKeyDeletionResponse(string KeyId);

internal sealed record GetKeyPolicyResponse(string Policy, string PolicyName);

/// <summary>Source-generated (de)serializers for the KMS wire shapes.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(KeyRequest))]
[JsonSerializable(typeof(AliasRequest))]
[JsonSerializable(typeof(CryptoRequest))]
[JsonSerializable(typeof(KeyMetadataResponse))]
[JsonSerializable(typeof(ListKeysResponse))]
[JsonSerializable(typeof(ListAliasesResponse))]
[JsonSerializable(typeof(ListResourceTagsResponse))]
[JsonSerializable(typeof(EncryptResponse))]
[JsonSerializable(typeof(DecryptResponse))]
[JsonSerializable(typeof(GenerateDataKeyResponse))]
[JsonSerializable(typeof(ReEncryptResponse))]
[JsonSerializable(typeof(ScheduleKeyDeletionResponse))]
[JsonSerializable(typeof(CancelKeyDeletionResponse))]
[JsonSerializable(typeof(GetKeyPolicyResponse))]
internal sealed partial class KmsJson : JsonSerializerContext;
