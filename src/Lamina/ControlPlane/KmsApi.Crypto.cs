using Lamina.Core.Api.Kms;
using Lamina.Core.Errors;
using Lamina.Core.Kms;
using Lamina.Http;

namespace Lamina.ControlPlane;

internal static partial class KmsApi
{
    private static async Task<ApiResult> Encrypt(ApiCall call)
    {
        if (!Read(call, KmsJson.Default.CryptoRequest).TryGetValue(out var body, out var error))
        {
            return error;
        }

        var v = new Violations();
        KeyIdMember(v, body.KeyId);
        v.Required(body.Plaintext, "plaintext");
        Blob(v, body.Plaintext, "plaintext", KeyService.MaxPlaintextBytes);
        if ((v.ToError() ?? Algorithm(body.EncryptionAlgorithm)) is { } invalid)
        {
            return invalid;
        }

        var keys = Keys(call);
        var sealedBlob = await keys.EncryptAsync(Caller(call), body.KeyId!, body.Plaintext!, body.EncryptionContext, body.DryRun == true, call.Aborted());
        return sealedBlob.TryGetValue(out var result, out error)
            ? ApiResult.Json11(new EncryptResponse(result.Ciphertext, keys.ArnOf(result.Key), Symmetric), KmsJson.Default.EncryptResponse)
            : error;
    }

    private static async Task<ApiResult> Decrypt(ApiCall call)
    {
        if (!Read(call, KmsJson.Default.CryptoRequest).TryGetValue(out var body, out var error))
        {
            return error;
        }

        var v = new Violations();
        v.Required(body.CiphertextBlob, "ciphertextBlob");
        Blob(v, body.CiphertextBlob, "ciphertextBlob", 6144);
        v.Length(body.KeyId, "keyId", 1, 2048);
        if ((v.ToError() ?? Algorithm(body.EncryptionAlgorithm)) is { } invalid)
        {
            return invalid;
        }

        if (body.Recipient is not null)
        {
            return KmsErrors.Unsupported("Lamina has no Nitro Enclaves: Recipient is not supported.");
        }

        var keys = Keys(call);
        var opened = await keys.DecryptAsync(Caller(call), body.CiphertextBlob!, body.EncryptionContext, body.KeyId, "kms:Decrypt", body.DryRun == true,
            call.Aborted());
        return opened.TryGetValue(out var result, out error)
            ? ApiResult.Json11(new DecryptResponse(keys.ArnOf(result.Key), result.Plaintext, Symmetric), KmsJson.Default.DecryptResponse)
            : error;
    }

    private static async Task<ApiResult> GenerateDataKey(ApiCall call, bool withPlaintext)
    {
        if (!Read(call, KmsJson.Default.CryptoRequest).TryGetValue(out var body, out var error))
        {
            return error;
        }

        var v = new Violations();
        KeyIdMember(v, body.KeyId);
        v.Range(body.NumberOfBytes, "numberOfBytes", 1, 1024);
        v.Enum(body.KeySpec, "keySpec", ["AES_256", "AES_128"]);
        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        if ((body.KeySpec is null) == (body.NumberOfBytes is null))
        {
            return KmsErrors.Validation("Please specify either number of bytes or key spec.");
        }

        if (body.Recipient is not null)
        {
            return KmsErrors.Unsupported("Lamina has no Nitro Enclaves: Recipient is not supported.");
        }

        var bytes = body.NumberOfBytes ?? (body.KeySpec == "AES_128" ? 16 : 32);
        var keys = Keys(call);
        var action = withPlaintext ? "kms:GenerateDataKey" : "kms:GenerateDataKeyWithoutPlaintext";
        var generated = await keys.GenerateDataKeyAsync(Caller(call), body.KeyId!, bytes, body.EncryptionContext, action, body.DryRun == true, call.Aborted());
        if (!generated.TryGetValue(out var result, out error))
        {
            return error;
        }

        return ApiResult.Json11(new GenerateDataKeyResponse
        {
            CiphertextBlob = result.Ciphertext,
            Plaintext = withPlaintext ? result.Plaintext : null,
            KeyId = keys.ArnOf(result.Key),
        }, KmsJson.Default.GenerateDataKeyResponse);
    }

    private static async Task<ApiResult> ReEncrypt(ApiCall call)
    {
        if (!Read(call, KmsJson.Default.CryptoRequest).TryGetValue(out var body, out var error))
        {
            return error;
        }

        var v = new Violations();
        v.Required(body.CiphertextBlob, "ciphertextBlob");
        Blob(v, body.CiphertextBlob, "ciphertextBlob", 6144);
        KeyIdMember(v, body.DestinationKeyId, "destinationKeyId");
        v.Length(body.SourceKeyId, "sourceKeyId", 1, 2048);
        if ((v.ToError() ?? Algorithm(body.SourceEncryptionAlgorithm) ?? Algorithm(body.DestinationEncryptionAlgorithm)) is { } invalid)
        {
            return invalid;
        }

        var keys = Keys(call);
        var moved = await keys.ReEncryptAsync(Caller(call), body.CiphertextBlob!, body.SourceEncryptionContext, body.SourceKeyId, body.DestinationKeyId!,
            body.DestinationEncryptionContext, body.DryRun == true, call.Aborted());
        return moved.TryGetValue(out var result, out error)
            ? ApiResult.Json11(new ReEncryptResponse(result.Ciphertext, keys.ArnOf(result.Source), keys.ArnOf(result.Destination), Symmetric, Symmetric),
                KmsJson.Default.ReEncryptResponse)
            : error;
    }

    private static void Blob(Violations v, byte[]? value, string path, int max)
    {
        if (value is { Length: 0 })
        {
            v.Add("", path, "Member must have length greater than or equal to 1");
        }
        else if (value is not null && value.Length > max)
        {
            v.Add("java.nio.HeapByteBuffer", path, $"Member must have length less than or equal to {max}");
        }
    }

    /// <summary>Symmetric keys know one algorithm; the RSA and SM2 ones belong to asymmetric keys.</summary>
    private static AwsError? Algorithm(string? algorithm) => algorithm is null or Symmetric
        ? null
        : new AwsError(400, "InvalidKeyUsageException", $"The encryption algorithm {algorithm} is not supported by a symmetric encryption KMS key.");
}
