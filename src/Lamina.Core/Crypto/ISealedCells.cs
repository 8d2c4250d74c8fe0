namespace Lamina.Core.Crypto;

/// <summary>The kinds of store values sealed by the master key (each with its own sealing context).</summary>
internal enum SealedKind
{
    /// <summary>An access key's secret; <see cref="SealedCell.Id"/> is the access key id.</summary>
    AccessKeySecret,

    /// <summary>A function version's environment in the pre-KMS format; Id is the function name, Version the version number (0 is $LATEST).</summary>
    FunctionEnvironment,

    /// <summary>An async event's payload; Id is the event id.</summary>
    AsyncPayload,

    /// <summary>A KMS key's material; Id is the key id.</summary>
    KmsKeyMaterial,

    /// <summary>
    /// A durable execution's input, result, error or pending outcome: AccountId holds the execution ARN and Id
    /// the purpose ("input", "result", "error", "outcome").
    /// </summary>
    DurableExecutionPayload,

    /// <summary>A durable operation's details; AccountId holds the execution ARN, Id the operation id.</summary>
    DurableOperation,

    /// <summary>A durable history event; AccountId holds the execution ARN, Version the event id.</summary>
    DurableHistoryEvent,

    /// <summary>A checkpoint reply kept for ClientToken replay; AccountId holds the execution ARN, Id the client token.</summary>
    DurableCheckpoint,

    /// <summary>An audit digest signing key's private half; Id is the key's fingerprint.</summary>
    AuditSigningKey,
}

/// <summary>One sealed value where it is stored.</summary>
internal sealed record SealedCell(SealedKind Kind, string AccountId, string Id, long Version, byte[] Value);

/// <summary>Store access for master-key rotation: list sealed values, swap one for its re-wrapped bytes.</summary>
internal interface ISealedCells
{
    IAsyncEnumerable<SealedCell> ListAsync(CancellationToken cancellationToken);

    /// <summary>Replaces the value if it still holds <see cref="SealedCell.Value"/> (a concurrent writer wins); false otherwise.</summary>
    Task<bool> ReplaceAsync(SealedCell cell, byte[] value, CancellationToken cancellationToken);
}
