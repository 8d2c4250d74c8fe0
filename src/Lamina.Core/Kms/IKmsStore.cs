using Lamina.Core.Storage;

namespace Lamina.Core.Kms;

/// <summary>Keys and aliases of the key service, per account.</summary>
internal interface IKmsStore
{
    Task<KmsKey?> GetKeyAsync(string accountId, string keyId, CancellationToken cancellationToken);

    /// <summary>Keys of an account ordered by key id, after <paramref name="afterKeyId"/>.</summary>
    Task<IReadOnlyList<KmsKey>> ListKeysAsync(string accountId, string? afterKeyId, int limit, CancellationToken cancellationToken);

    Task<WriteStatus> CreateKeyAsync(KmsKey key, CancellationToken cancellationToken);

    /// <summary>
    /// Creates a key and an alias for it in one transaction (the AWS managed <c>alias/aws/lambda</c> key);
    /// <see cref="WriteStatus.AlreadyExists"/> when the alias exists, and then nothing is written.
    /// </summary>
    Task<WriteStatus> CreateKeyWithAliasAsync(KmsKey key, KmsAlias alias, CancellationToken cancellationToken);

    /// <summary>Replaces a key if its stored revision is <paramref name="expectedRevision"/> (the new one is that plus one).</summary>
    Task<WriteStatus> UpdateKeyAsync(KmsKey key, long expectedRevision, CancellationToken cancellationToken);

    /// <summary>Removes a key whose deletion date has passed, with its aliases, if it is still at <paramref name="expectedRevision"/>.</summary>
    Task<WriteStatus> DeleteKeyAsync(string accountId, string keyId, long expectedRevision, CancellationToken cancellationToken);

    Task<KmsAlias?> GetAliasAsync(string accountId, string aliasName, CancellationToken cancellationToken);

    /// <summary>Aliases of an account (of one key when <paramref name="keyId"/> is set) ordered by name, after <paramref name="afterName"/>.</summary>
    Task<IReadOnlyList<KmsAlias>> ListAliasesAsync(string accountId, string? keyId, string? afterName, int limit, CancellationToken cancellationToken);

    /// <summary><see cref="WriteStatus.AlreadyExists"/> on a name clash; <see cref="WriteStatus.NotFound"/> when the target key is gone.</summary>
    Task<WriteStatus> CreateAliasAsync(KmsAlias alias, CancellationToken cancellationToken);

    /// <summary>Points an existing alias at another key; <see cref="WriteStatus.NotFound"/> when the alias or key is gone.</summary>
    Task<WriteStatus> UpdateAliasAsync(string accountId, string aliasName, string targetKeyId, DateTimeOffset now, CancellationToken cancellationToken);

    Task<WriteStatus> DeleteAliasAsync(string accountId, string aliasName, CancellationToken cancellationToken);
}
