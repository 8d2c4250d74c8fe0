using Lamina.Core.Accounts;

namespace Lamina.Core.Storage;

/// <summary>
/// The system of record. Every implementation (SQLite now, PostgreSQL for scale-out) passes the same
/// compliance suite. Writes are conditional so they stay correct with several writers.
/// </summary>
internal interface IStore : IAsyncDisposable
{
    IAccountStore Accounts { get; }

    IFunctionStore Functions { get; }

    ILayerStore Layers { get; }

    IBlobIndex Blobs { get; }

    Logs.ILogStore Logs { get; }

    Iam.IIamStore Iam { get; }

    Async.IAsyncQueueStore Queue { get; }

    Durable.IDurableStore Durable { get; }

    Kms.IKmsStore Kms { get; }

    /// <summary>Every value sealed by the master key, for re-wrapping after a master-key rotation.</summary>
    Crypto.ISealedCells Sealed { get; }
    /// <summary>The audit trail: events, log files, digests, signing keys.</summary>
    Audit.IAuditStore Audit { get; }

    /// <summary>Configuration history of Lambda resources, recorded in the transaction of each change.</summary>
    ConfigHistory.IConfigHistoryStore ConfigHistory { get; }

    /// <summary>Server-level settings and markers (e.g. the service key id).</summary>
    Task<string?> GetMetaAsync(string key, CancellationToken cancellationToken);

    Task SetMetaAsync(string key, string value, CancellationToken cancellationToken);
}

internal interface IAccountStore
{
    Task<Account?> GetAsync(string accountId, CancellationToken cancellationToken);

    Task<Account?> FindByNameAsync(string name, CancellationToken cancellationToken);

    Task<IReadOnlyList<Account>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Creates the account with its first (root) key; <see cref="WriteStatus.AlreadyExists"/> on an id or name clash.</summary>
    Task<WriteStatus> CreateAsync(Account account, AccessKeyRecord rootKey, CancellationToken cancellationToken);

    Task<AccessKeyRecord?> GetAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken);

    Task<IReadOnlyList<AccessKeyRecord>> ListAccessKeysAsync(string accountId, string principalArn, CancellationToken cancellationToken);

    Task<WriteStatus> PutAccessKeyAsync(AccessKeyRecord key, CancellationToken cancellationToken);

    /// <summary>
    /// Adds a long-term key for a user (<paramref name="userName"/>) or the root user (null), in one transaction:
    /// <see cref="WriteStatus.NotFound"/> when the user does not exist, <see cref="WriteStatus.Refused"/> when the
    /// principal already has <paramref name="maxKeys"/> long-term keys.
    /// </summary>
    Task<WriteStatus> CreateLongTermKeyAsync(AccessKeyRecord key, string? userName, int maxKeys, CancellationToken cancellationToken);

    /// <summary>Sets Active/Inactive on an existing key; <see cref="WriteStatus.NotFound"/> if it is gone (never recreates it).</summary>
    Task<WriteStatus> SetAccessKeyStatusAsync(string accessKeyId, string status, CancellationToken cancellationToken);

    Task<WriteStatus> DeleteAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken);

    /// <summary>Removes expired temporary keys; returns how many.</summary>
    Task<int> PurgeExpiredKeysAsync(DateTimeOffset now, CancellationToken cancellationToken);
}

internal interface IFunctionStore
{
    Task<FunctionRecord?> GetFunctionAsync(string accountId, string name, CancellationToken cancellationToken);

    Task<FunctionVersionRecord?> GetVersionAsync(string accountId, string name, string version, CancellationToken cancellationToken);

    /// <summary>Latest versions ordered by name, after <paramref name="afterName"/>.</summary>
    Task<IReadOnlyList<FunctionVersionRecord>> ListLatestAsync(string accountId, string? afterName, int limit, CancellationToken cancellationToken);

    /// <summary>Every version of every function, ordered by (name, version number with $LATEST first).</summary>
    Task<IReadOnlyList<FunctionVersionRecord>> ListAllVersionsAsync(string accountId, (string Name, long Version)? after, int limit, CancellationToken cancellationToken);

    /// <summary>Versions of one function ordered by number ($LATEST first as 0), after <paramref name="afterVersion"/>.</summary>
    Task<IReadOnlyList<FunctionVersionRecord>> ListVersionsAsync(string accountId, string name, long? afterVersion, int limit, CancellationToken cancellationToken);

    /// <summary>Creates the function, its $LATEST and optionally version 1 in one transaction.</summary>
    Task<WriteResult> CreateAsync(FunctionRecord function, FunctionVersionRecord latest, FunctionVersionRecord? published, BlobClaim code, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces $LATEST if its RevisionId still equals <paramref name="expectedRevisionId"/>; with
    /// <paramref name="code"/> the new package is claimed and the old one released; with
    /// <paramref name="publish"/> a version is published from the new $LATEST in the same transaction
    /// (its number is assigned by the store and written into <c>Version</c> and ARNs by the factory).
    /// </summary>
    Task<WriteResult> UpdateLatestAsync(FunctionVersionRecord latest, string expectedRevisionId, BlobClaim? code,
        Func<long, FunctionVersionRecord>? publish, CancellationToken cancellationToken);

    /// <summary>
    /// Publishes $LATEST as the next version number unless the newest version has the same content
    /// hash, in which case that version is returned unchanged.
    /// </summary>
    Task<(WriteResult Result, FunctionVersionRecord? Version)> PublishAsync(string accountId, string name, string? expectedRevisionId,
        Func<FunctionVersionRecord, long, FunctionVersionRecord> build, CancellationToken cancellationToken);

    Task<WriteResult> DeleteFunctionAsync(string accountId, string name, CancellationToken cancellationToken);

    /// <summary>Deletes a published version; <see cref="WriteStatus.Refused"/> (Detail = alias names) when aliases point at it.</summary>
    Task<WriteResult> DeleteVersionAsync(string accountId, string name, string version, CancellationToken cancellationToken);

    /// <summary>
    /// Sets the keys of <paramref name="set"/> and removes those in <paramref name="remove"/> in one transaction,
    /// so concurrent TagResource/UntagResource calls never drop each other's keys; <see cref="WriteStatus.Refused"/>
    /// when the result would hold more than <paramref name="maxTags"/> tags.
    /// </summary>
    Task<WriteStatus> ChangeTagsAsync(string accountId, string name, IReadOnlyDictionary<string, string> set, IReadOnlyCollection<string> remove,
        int maxTags, CancellationToken cancellationToken);

    /// <summary>
    /// Sets (or with null clears) reserved concurrency, refused when the account's other reservations plus
    /// <paramref name="value"/> would exceed <paramref name="maxReservable"/>.
    /// </summary>
    Task<WriteResult> SetReservedConcurrencyAsync(string accountId, string name, int? value, int maxReservable, CancellationToken cancellationToken);

    Task<int> SumReservedConcurrencyAsync(string accountId, CancellationToken cancellationToken);

    /// <summary>
    /// What an invoke needs to admit a call, in one read: the function's reserved concurrency and the sum reserved in its
    /// account; null when the function does not exist.
    /// </summary>
    Task<(int? Reserved, int AccountReserved)?> GetConcurrencyAsync(string accountId, string name, CancellationToken cancellationToken);

    Task<AliasRecord?> GetAliasAsync(string accountId, string functionName, string alias, CancellationToken cancellationToken);

    Task<IReadOnlyList<AliasRecord>> ListAliasesAsync(string accountId, string functionName, string? functionVersion, string? afterName, int limit, CancellationToken cancellationToken);

    Task<WriteStatus> CreateAliasAsync(AliasRecord alias, CancellationToken cancellationToken);

    Task<WriteStatus> UpdateAliasAsync(AliasRecord alias, string? expectedRevisionId, CancellationToken cancellationToken);

    Task<WriteStatus> DeleteAliasAsync(string accountId, string functionName, string alias, CancellationToken cancellationToken);

    Task<ProvisionedConcurrencyRecord?> GetProvisionedAsync(string accountId, string functionName, string qualifier, CancellationToken cancellationToken);

    Task<IReadOnlyList<ProvisionedConcurrencyRecord>> ListProvisionedAsync(string accountId, string? functionName, CancellationToken cancellationToken);

    Task PutProvisionedAsync(ProvisionedConcurrencyRecord record, CancellationToken cancellationToken);

    /// <summary>Every provisioned-concurrency config of every account (the reconciler's work list).</summary>
    Task<IReadOnlyList<ProvisionedConcurrencyRecord>> ListAllProvisionedAsync(CancellationToken cancellationToken);

    /// <summary>Records allocation progress, unless the config was changed or removed meanwhile (then false).</summary>
    Task<bool> UpdateProvisionedStatusAsync(ProvisionedConcurrencyRecord record, CancellationToken cancellationToken);

    Task<bool> DeleteProvisionedAsync(string accountId, string functionName, string qualifier, CancellationToken cancellationToken);

    Task<Api.Lambda.FunctionEventInvokeConfig?> GetEventInvokeConfigAsync(string accountId, string functionName, string qualifier,
        CancellationToken cancellationToken);

    Task<IReadOnlyList<(string Qualifier, Api.Lambda.FunctionEventInvokeConfig Config)>> ListEventInvokeConfigsAsync(string accountId,
        string functionName, CancellationToken cancellationToken);

    /// <summary>Stores (replaces) a config; <see cref="WriteStatus.NotFound"/> when the function does not exist.</summary>
    Task<WriteStatus> PutEventInvokeConfigAsync(string accountId, string functionName, string qualifier, Api.Lambda.FunctionEventInvokeConfig config,
        CancellationToken cancellationToken);

    Task<WriteStatus> DeleteEventInvokeConfigAsync(string accountId, string functionName, string qualifier, CancellationToken cancellationToken);

    /// <summary>Total stored code bytes and function count of an account (GetAccountSettings).</summary>
    Task<(long TotalCodeSize, long FunctionCount)> GetUsageAsync(string accountId, CancellationToken cancellationToken);
}

internal interface ILayerStore
{
    Task<LayerVersionRecord?> GetVersionAsync(string accountId, string layerName, long version, CancellationToken cancellationToken);

    /// <summary>Versions of a layer, newest first, below <paramref name="beforeVersion"/>.</summary>
    Task<IReadOnlyList<LayerVersionRecord>> ListVersionsAsync(string accountId, string layerName, long? beforeVersion, int limit, CancellationToken cancellationToken);

    /// <summary>The newest version of each layer, ordered by layer name, after <paramref name="afterName"/>.</summary>
    Task<IReadOnlyList<LayerVersionRecord>> ListLatestAsync(string accountId, string? afterName, int limit, CancellationToken cancellationToken);

    /// <summary>Publishes the next version number (never reused) of a layer.</summary>
    Task<(WriteResult Result, LayerVersionRecord? Version)> PublishAsync(string accountId, string layerName, BlobClaim code,
        Func<long, LayerVersionRecord> build, CancellationToken cancellationToken);

    Task<WriteResult> DeleteVersionAsync(string accountId, string layerName, long version, CancellationToken cancellationToken);
}

internal interface IBlobIndex
{
    Task<BlobRecord?> FindAsync(string accountId, string sha256, CancellationToken cancellationToken);

    Task<BlobRecord?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Ids of every indexed blob (for the orphan sweep at start-up).</summary>
    Task<IReadOnlySet<string>> ListIdsAsync(CancellationToken cancellationToken);
}
