using Lamina.Core.Api.Kms;
using Lamina.Core.Errors;
using Lamina.Core.Kms;
using Lamina.Http;

namespace Lamina.ControlPlane;

internal static partial class KmsApi
{
    private static async Task<ApiResult> AliasAction(ApiCall call, bool needsTarget,
        Func<KeyService, KmsCaller, AliasRequest, CancellationToken, Task<AwsError?>> action)
    {
        if (!Read(call, KmsJson.Default.AliasRequest).TryGetValue(out var body, out var error))
        {
            return error;
        }

        var v = new Violations();
        v.Required(body.AliasName, "aliasName");
        v.Length(body.AliasName, "aliasName", 1, 256);
        v.Pattern(body.AliasName, "aliasName", AliasNameRegex(), "^[a-zA-Z0-9:/_-]+$");
        if (needsTarget)
        {
            KeyIdMember(v, body.TargetKeyId, "targetKeyId");
        }

        return v.ToError() is { } invalid ? invalid : ApiResult.Json11Empty(await action(Keys(call), Caller(call), body, call.Aborted()));
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[a-zA-Z0-9:/_-]+$")]
    private static partial System.Text.RegularExpressions.Regex AliasNameRegex();

    private static async Task<ApiResult> ListAliases(ApiCall call)
    {
        if (!Read(call, KmsJson.Default.KeyRequest).TryGetValue(out var body, out var error))
        {
            return error;
        }

        var v = new Violations();
        v.Length(body.KeyId, "keyId", 1, 2048);
        if ((v.ToError() ?? PageMembers(body.Limit, body.Marker)) is { } invalid)
        {
            return invalid;
        }

        var keys = Keys(call);
        var page = await keys.ListAliasesAsync(Caller(call), body.KeyId, body.Limit, body.Marker, call.Aborted());
        if (!page.TryGetValue(out var listed, out error))
        {
            return error;
        }

        var entries = listed.Aliases
            .Select(a => new AliasListEntry(a.AliasName, KmsArns.Alias(keys.Region, a.AccountId, a.AliasName), a.TargetKeyId, Epoch(a.CreatedAt), Epoch(a.UpdatedAt)))
            .ToList();
        return ApiResult.Json11(new ListAliasesResponse(entries, listed.NextMarker is not null, listed.NextMarker), KmsJson.Default.ListAliasesResponse);
    }
}
