using Lamina.Core.Accounts;
using Lamina.Core.Async;
using Lamina.Core.Code;
using Lamina.Core.Functions;
using Lamina.Core.Kms;
using Lamina.Core.Storage;

using Lamina.Core.Durable;

namespace Lamina.Core.Crypto;

/// <summary>What one re-wrap pass did.</summary>
/// <param name="Rewrapped">Values and code packages now wrapped by the active master key.</param>
/// <param name="Current">Those that already were.</param>
/// <param name="Raced">Values a concurrent writer replaced during the pass (sealed by whatever key it had; a later pass takes them).</param>
internal sealed record RewrapReport(int Rewrapped, int Current, int Raced);

/// <summary>
/// Re-wraps every data key in the store and the code files under the active master key, after
/// <see cref="MasterKey.Rotate"/>. Only the 60-byte wrapped key of each object changes; ciphertexts stay.
/// Safe while the server runs: each value is swapped only if unchanged since it was read, code files are
/// replaced by rename, and the server reads the new key from the key file when it meets its id.
/// </summary>
/// <remarks>
/// Environment variables sealed under a KMS key (the current format) are not master-key envelopes: their
/// data key is wrapped by the KMS key, whose material is itself a sealed value re-wrapped here.
/// </remarks>
internal sealed class Rewrapper(IStore store, Envelope envelope, CodeStore code)
{
    public async Task<RewrapReport> RunAsync(CancellationToken cancellationToken)
    {
        int rewrapped = 0, current = 0, raced = 0;
        await foreach (var cell in store.Sealed.ListAsync(cancellationToken))
        {
            if (!Envelope.IsEnvelope(cell.Value))
            {
                continue;
            }

            var copy = (byte[])cell.Value.Clone();
            if (!envelope.Rewrap(copy, ContextOf(cell)))
            {
                current++;
            }
            else if (await store.Sealed.ReplaceAsync(cell, copy, cancellationToken))
            {
                rewrapped++;
            }
            else
            {
                raced++;
            }
        }

        foreach (var id in await store.Blobs.ListIdsAsync(cancellationToken))
        {
            if (await store.Blobs.GetAsync(id, cancellationToken) is { } blob && await code.RewrapAsync(blob, cancellationToken))
            {
                rewrapped++;
            }
            else
            {
                current++;
            }
        }

        return new RewrapReport(rewrapped, current, raced);
    }

    private static string ContextOf(SealedCell cell) => cell.Kind switch
    {
        SealedKind.AccessKeySecret => AccessKeyRecord.SecretContext(cell.Id),
        SealedKind.FunctionEnvironment => FunctionService.EnvironmentContext(cell.AccountId, cell.Id),
        SealedKind.AsyncPayload => AsyncEvent.PayloadContext(cell.AccountId, cell.Id),
        SealedKind.KmsKeyMaterial => KmsKey.MaterialContext(cell.AccountId, cell.Id),
        SealedKind.DurableExecutionPayload => DurableExecutionRecord.Context(cell.AccountId, cell.Id),
        SealedKind.DurableOperation => OperationState.Context(cell.AccountId, cell.Id),
        SealedKind.DurableHistoryEvent => DurableEngine.HistoryContext(cell.AccountId, cell.Version),
        SealedKind.DurableCheckpoint => DurableExecutionRecord.Context(cell.AccountId, "checkpoint:" + cell.Id),
        SealedKind.AuditSigningKey => Audit.AuditSigner.SealContext(cell.Id),
        _ => throw new ArgumentOutOfRangeException(nameof(cell), cell.Kind, null),
    };
}
