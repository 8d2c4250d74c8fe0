using System.Text.Json.Serialization.Metadata;
using Lamina.Core.Api.Kms;
using Lamina.Core.Errors;
using Lamina.Core.Kms;
using Lamina.Http;

namespace Lamina.ControlPlane;

/// <summary>
/// The KMS JSON 1.1 API (botocore kms 2014-11-01: <c>POST /</c>, <c>X-Amz-Target: TrentService.OP</c>), the
/// subset for symmetric keys: keys, aliases, key policies, tags and the cryptographic operations. Each handler
/// checks the request against the model, then asks <see cref="KeyService"/>, which authorizes against the key
/// policy and the caller's IAM policies before it reads or changes a key.
/// </summary>
internal static partial class KmsApi
{
    private const string Symmetric = "SYMMETRIC_DEFAULT";

    public static void Map(RootDispatcher root)
    {
        Add(root, "CreateKey", CreateKey);
        Add(root, "DescribeKey", DescribeKey);
        Add(root, "ListKeys", ListKeys);
        Add(root, "EnableKey", call => KeyAction(call, (keys, caller, id, ct) => keys.EnableKeyAsync(caller, id, ct)));
        Add(root, "DisableKey", call => KeyAction(call, (keys, caller, id, ct) => keys.DisableKeyAsync(caller, id, ct)));
        Add(root, "ScheduleKeyDeletion", ScheduleKeyDeletion);
        Add(root, "CancelKeyDeletion", CancelKeyDeletion);
        Add(root, "GetKeyPolicy", GetKeyPolicy);
        Add(root, "PutKeyPolicy", PutKeyPolicy);
        Add(root, "ListResourceTags", ListResourceTags);
        Add(root, "TagResource", TagResource);
        Add(root, "UntagResource", UntagResource);

        Add(root, "CreateAlias", call => AliasAction(call, needsTarget: true, (keys, caller, r, ct) => keys.CreateAliasAsync(caller, r.AliasName!, r.TargetKeyId!, ct)));
        Add(root, "UpdateAlias", call => AliasAction(call, needsTarget: true, (keys, caller, r, ct) => keys.UpdateAliasAsync(caller, r.AliasName!, r.TargetKeyId!, ct)));
        Add(root, "DeleteAlias", call => AliasAction(call, needsTarget: false, (keys, caller, r, ct) => keys.DeleteAliasAsync(caller, r.AliasName!, ct)));
        Add(root, "ListAliases", ListAliases);

        Add(root, "Encrypt", Encrypt);
        Add(root, "Decrypt", Decrypt);
        Add(root, "GenerateDataKey", call => GenerateDataKey(call, withPlaintext: true));
        Add(root, "GenerateDataKeyWithoutPlaintext", call => GenerateDataKey(call, withPlaintext: false));
        Add(root, "ReEncrypt", ReEncrypt);
    }

    private static void Add(RootDispatcher root, string name, RootDispatcher.Handler handler) => root.Add("kms", name, handler);

    private static KeyService Keys(ApiCall call) => call.Service<KeyService>();

    private static KmsCaller Caller(ApiCall call) => new(call.Caller, call.ConditionKeys());

    /// <summary>The request body; KMS calls JSON it cannot read a SerializationException.</summary>
    private static Outcome<T> Read<T>(ApiCall call, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        var body = call.ReadJson(typeInfo);
        return body.IsSuccess ? body : new AwsError(400, "SerializationException", body.Error.Message);
    }

    private static double Epoch(DateTimeOffset time) => time.ToUnixTimeMilliseconds() / 1000.0;

    private static KeyMetadata Metadata(KeyService keys, KmsKey key) => new()
    {
        AWSAccountId = key.AccountId,
        KeyId = key.KeyId,
        Arn = keys.ArnOf(key),
        CreationDate = Epoch(key.CreatedAt),
        Enabled = key.State == KeyStates.Enabled,
        Description = key.Description,
        KeyUsage = "ENCRYPT_DECRYPT",
        KeyState = key.State,
        DeletionDate = key.DeletionDate is { } due ? Epoch(due) : null,
        Origin = "AWS_KMS",
        KeyManager = key.KeyManager,
        CustomerMasterKeySpec = Symmetric,
        KeySpec = Symmetric,
        EncryptionAlgorithms = [Symmetric],
        MultiRegion = false,
    };

    private static void KeyIdMember(Violations v, string? keyId, string path = "keyId")
    {
        v.Required(keyId, path);
        v.Length(keyId, path, 1, 2048);
    }

    private static void TagMembers(Violations v, List<KmsTag>? tags)
    {
        for (var i = 0; i < (tags?.Count ?? 0); i++)
        {
            var tag = tags![i];
            v.Required(tag.TagKey, $"tags.{i + 1}.member.tagKey");
            v.Length(tag.TagKey, $"tags.{i + 1}.member.tagKey", 1, 128);
            v.Required(tag.TagValue, $"tags.{i + 1}.member.tagValue");
            v.Length(tag.TagValue, $"tags.{i + 1}.member.tagValue", 0, 256);
        }
    }

    private static List<KeyValuePair<string, string>> Pairs(List<KmsTag>? tags) => tags?.Select(t => new KeyValuePair<string, string>(t.TagKey!, t.TagValue!)).ToList() ?? [];

    private static async Task<ApiResult> CreateKey(ApiCall call)
    {
        if (!Read(call, KmsJson.Default.CreateKeyRequest).TryGetValue(out var body, out var error))
        {
            return error;
        }

        var v = new Violations();
        v.Length(body.Policy, "policy", 1, 131072);
        v.Length(body.Description, "description", 0, 8192);
        TagMembers(v, body.Tags);
        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        if (Unsupported(body) is { } unsupported)
        {
            return unsupported;
        }

        var created = await Keys(call).CreateKeyAsync(Caller(call), new CreateKeyInput
        {
            Policy = body.Policy,
            Description = body.Description,
            BypassPolicyLockoutSafetyCheck = body.BypassPolicyLockoutSafetyCheck == true,
            Tags = Pairs(body.Tags),
        }, call.Aborted());
        return created.TryGetValue(out var key, out error)
            ? ApiResult.Json11(new KeyMetadataResponse(Metadata(Keys(call), key)), KmsJson.Default.KeyMetadataResponse)
            : error;
    }

    /// <summary>What Lamina's keys cannot be: asymmetric, HMAC, imported, in a custom key store, multi-Region.</summary>
    private static AwsError? Unsupported(CreateKeyRequest body)
    {
        var spec = body.KeySpec ?? body.CustomerMasterKeySpec;
        if ((spec is not null && spec != Symmetric) || (body.KeyUsage is not null && body.KeyUsage != "ENCRYPT_DECRYPT"))
        {
            return KmsErrors.Unsupported("Lamina supports symmetric encryption keys only (KeySpec SYMMETRIC_DEFAULT, KeyUsage ENCRYPT_DECRYPT).");
        }

        if ((body.Origin is not null && body.Origin != "AWS_KMS") || body.CustomKeyStoreId is not null || body.XksKeyId is not null)
        {
            return KmsErrors.Unsupported("Lamina generates all key material itself (Origin AWS_KMS); imported material and custom key stores are not supported.");
        }

        return body.MultiRegion == true ? KmsErrors.Unsupported("Multi-Region keys are not supported: a Lamina server is one region.") : null;
    }

    private static async Task<ApiResult> DescribeKey(ApiCall call)
    {
        if (!ReadKeyRequest(call).TryGetValue(out var body, out var error))
        {
            return error;
        }

        var key = await Keys(call).DescribeKeyAsync(Caller(call), body.KeyId!, call.Aborted());
        return key.IsSuccess ? ApiResult.Json11(new KeyMetadataResponse(Metadata(Keys(call), key.Value)), KmsJson.Default.KeyMetadataResponse) : key.Error;
    }

    private static async Task<ApiResult> ListKeys(ApiCall call)
    {
        if (!Read(call, KmsJson.Default.KeyRequest).TryGetValue(out var body, out var error))
        {
            return error;
        }

        if (PageMembers(body.Limit, body.Marker) is { } invalid)
        {
            return invalid;
        }

        var keys = Keys(call);
        var page = await keys.ListKeysAsync(Caller(call), body.Limit, body.Marker, call.Aborted());
        if (!page.TryGetValue(out var listed, out error))
        {
            return error;
        }

        return ApiResult.Json11(new ListKeysResponse([.. listed.Keys.Select(k => new KeyListEntry(k.KeyId, keys.ArnOf(k)))], listed.NextMarker is not null,
            listed.NextMarker), KmsJson.Default.ListKeysResponse);
    }

    private static async Task<ApiResult> ScheduleKeyDeletion(ApiCall call)
    {
        if (!ReadKeyRequest(call).TryGetValue(out var body, out var error))
        {
            return error;
        }

        var v = new Violations();
        v.Range(body.PendingWindowInDays, "pendingWindowInDays", KeyService.MinPendingDays, KeyService.MaxPendingDays);
        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        var days = body.PendingWindowInDays ?? KeyService.MaxPendingDays;
        var keys = Keys(call);
        var scheduled = await keys.ScheduleDeletionAsync(Caller(call), body.KeyId!, days, call.Aborted());
        return scheduled.TryGetValue(out var key, out error)
            ? ApiResult.Json11(new ScheduleKeyDeletionResponse(keys.ArnOf(key), Epoch(key.DeletionDate!.Value), key.State, days),
                KmsJson.Default.ScheduleKeyDeletionResponse)
            : error;
    }

    private static async Task<ApiResult> CancelKeyDeletion(ApiCall call)
    {
        if (!ReadKeyRequest(call).TryGetValue(out var body, out var error))
        {
            return error;
        }

        var keys = Keys(call);
        var cancelled = await keys.CancelDeletionAsync(Caller(call), body.KeyId!, call.Aborted());
        return cancelled.TryGetValue(out var key, out error)
            ? ApiResult.Json11(new CancelKeyDeletionResponse(keys.ArnOf(key)), KmsJson.Default.CancelKeyDeletionResponse)
            : error;
    }

    private static async Task<ApiResult> GetKeyPolicy(ApiCall call)
    {
        if (!ReadKeyRequest(call).TryGetValue(out var body, out var error))
        {
            return error;
        }

        var policy = await Keys(call).GetKeyPolicyAsync(Caller(call), body.KeyId!, body.PolicyName, call.Aborted());
        return policy.TryGetValue(out var text, out error)
            ? ApiResult.Json11(new GetKeyPolicyResponse(text, "default"), KmsJson.Default.GetKeyPolicyResponse)
            : error;
    }

    private static async Task<ApiResult> PutKeyPolicy(ApiCall call)
    {
        if (!ReadKeyRequest(call).TryGetValue(out var body, out var error))
        {
            return error;
        }

        var v = new Violations();
        v.Required(body.Policy, "policy");
        v.Length(body.Policy, "policy", 1, 131072);
        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        return ApiResult.Json11Empty(await Keys(call).PutKeyPolicyAsync(Caller(call), body.KeyId!, body.PolicyName, body.Policy!,
            body.BypassPolicyLockoutSafetyCheck == true, call.Aborted()));
    }

    private static async Task<ApiResult> ListResourceTags(ApiCall call)
    {
        if (!ReadKeyRequest(call).TryGetValue(out var body, out var error))
        {
            return error;
        }

        var key = await Keys(call).ListTagsAsync(Caller(call), body.KeyId!, call.Aborted());
        return key.TryGetValue(out var found, out error)
            ? ApiResult.Json11(new ListResourceTagsResponse([.. found.Tags.Select(t => new KmsTag { TagKey = t.Key, TagValue = t.Value })], false),
                KmsJson.Default.ListResourceTagsResponse)
            : error;
    }

    private static async Task<ApiResult> TagResource(ApiCall call)
    {
        if (!ReadKeyRequest(call).TryGetValue(out var body, out var error))
        {
            return error;
        }

        var v = new Violations();
        v.Required(body.Tags, "tags");
        TagMembers(v, body.Tags);
        return v.ToError() is { } invalid
            ? invalid
            : ApiResult.Json11Empty(await Keys(call).TagAsync(Caller(call), body.KeyId!, Pairs(body.Tags), call.Aborted()));
    }

    private static async Task<ApiResult> UntagResource(ApiCall call)
    {
        if (!ReadKeyRequest(call).TryGetValue(out var body, out var error))
        {
            return error;
        }

        var v = new Violations();
        v.Required(body.TagKeys, "tagKeys");
        return v.ToError() is { } invalid
            ? invalid
            : ApiResult.Json11Empty(await Keys(call).UntagAsync(Caller(call), body.KeyId!, body.TagKeys!.ToHashSet(StringComparer.Ordinal), call.Aborted()));
    }

    /// <summary>EnableKey, DisableKey: a KeyId in, nothing out.</summary>
    private static async Task<ApiResult> KeyAction(ApiCall call, Func<KeyService, KmsCaller, string, CancellationToken, Task<AwsError?>> action)
    {
        if (!ReadKeyRequest(call).TryGetValue(out var body, out var error))
        {
            return error;
        }

        return ApiResult.Json11Empty(await action(Keys(call), Caller(call), body.KeyId!, call.Aborted()));
    }

    /// <summary>A KeyRequest whose KeyId is present and within the model's length.</summary>
    private static Outcome<KeyRequest> ReadKeyRequest(ApiCall call)
    {
        if (!Read(call, KmsJson.Default.KeyRequest).TryGetValue(out var body, out var error))
        {
            return error;
        }

        var v = new Violations();
        KeyIdMember(v, body.KeyId);
        return v.ToError() is { } invalid ? invalid : body;
    }

    private static AwsError? PageMembers(int? limit, string? marker)
    {
        var v = new Violations();
        v.Range(limit, "limit", 1, 1000);
        v.Length(marker, "marker", 1, 1024);
        return v.ToError();
    }
}
