using Lamina.Core.Api.Lambda;
using Lamina.Core.Auth;
using Lamina.Core.Errors;

namespace Lamina.Core.Functions;

internal sealed partial class FunctionService
{
    public async Task<Outcome<GetFunctionResponse>> GetAsync(CallerIdentity caller, FunctionTarget target, ICodeUrlSigner signer, CancellationToken cancellationToken)
    {
        var resolved = await ResolveAsync(target, cancellationToken);
        if (!resolved.TryGetValue(out var found, out var error))
        {
            return error;
        }

        var function = await Functions.GetFunctionAsync(target.AccountId, target.Name, cancellationToken);
        if (function is null)
        {
            return LambdaErrors.FunctionNotFound(target.Arn(options.Region));
        }

        return new GetFunctionResponse
        {
            Configuration = await PresentAsync(caller, found.Version, target.Qualifier, cancellationToken),
            Code = new FunctionCodeLocation { RepositoryType = "S3", Location = signer.Presign(found.Version.CodeBlobId) },
            Tags = function.Tags.Count == 0 ? null : new Dictionary<string, string>(function.Tags),
            Concurrency = function.ReservedConcurrency is { } reserved ? new Concurrency { ReservedConcurrentExecutions = reserved } : null,
        };
    }

    public async Task<Outcome<FunctionConfiguration>> GetConfigurationAsync(CallerIdentity caller, FunctionTarget target, CancellationToken cancellationToken)
    {
        var resolved = await ResolveAsync(target, cancellationToken);
        return resolved.TryGetValue(out var found, out var error) ? await PresentAsync(caller, found.Version, target.Qualifier, cancellationToken) : error;
    }

    public async Task<Outcome<ListFunctionsResponse>> ListAsync(CallerIdentity caller, string? functionVersion, string? marker, int? maxItems,
        CancellationToken cancellationToken)
    {
        var v = new Violations();
        v.Enum(functionVersion, "functionVersion", ["ALL"]);
        v.Range(maxItems, "maxItems", 1, 10000);
        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        var limit = ClampPage(maxItems);
        var after = DecodeMarker(marker);
        List<FunctionConfiguration> items;
        string? next = null;
        if (functionVersion == "ALL")
        {
            (string, long)? position = null;
            if (after is not null)
            {
                var split = after.Split('\n');
                if (split.Length != 2 || !long.TryParse(split[1], out var afterVersion))
                {
                    return LambdaErrors.InvalidParameter("Invalid Marker: pass the NextMarker of the previous page unchanged.");
                }

                position = (split[0], afterVersion);
            }

            var page = await Functions.ListAllVersionsAsync(caller.AccountId, position, limit + 1, cancellationToken);
            items = await PresentAllAsync(caller, page.Take(limit), r => r.Version, cancellationToken);
            if (page.Count > limit)
            {
                var last = page[limit - 1];
                next = EncodeMarker($"{last.FunctionName}\n{last.VersionNumber}");
            }
        }
        else
        {
            var page = await Functions.ListLatestAsync(caller.AccountId, after, limit + 1, cancellationToken);
            items = await PresentAllAsync(caller, page.Take(limit), _ => null, cancellationToken);
            if (page.Count > limit)
            {
                next = EncodeMarker(page[limit - 1].FunctionName);
            }
        }

        return new ListFunctionsResponse { Functions = items, NextMarker = next };
    }

    public async Task<Outcome<ListVersionsByFunctionResponse>> ListVersionsAsync(CallerIdentity caller, FunctionTarget target, string? marker, int? maxItems,
        CancellationToken cancellationToken)
    {
        var v = new Violations();
        v.Range(maxItems, "maxItems", 1, 10000);
        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        if (Unqualified(target, "Versions cannot be listed for a qualified function name; pass the function name or unqualified ARN.") is { } qualified)
        {
            return qualified;
        }

        if (await Functions.GetFunctionAsync(target.AccountId, target.Name, cancellationToken) is null)
        {
            return LambdaErrors.FunctionNotFound(target.UnqualifiedArn(options.Region));
        }

        long? after = null;
        if (DecodeMarker(marker) is { } decoded)
        {
            if (!long.TryParse(decoded, out var parsed))
            {
                return LambdaErrors.InvalidParameter("Invalid Marker: pass the NextMarker of the previous page unchanged.");
            }

            after = parsed;
        }

        var limit = ClampPage(maxItems);
        var page = await Functions.ListVersionsAsync(target.AccountId, target.Name, after, limit + 1, cancellationToken);
        return new ListVersionsByFunctionResponse
        {
            Versions = await PresentAllAsync(caller, page.Take(limit), r => r.Version, cancellationToken),
            NextMarker = page.Count > limit ? EncodeMarker(page[limit - 1].VersionNumber.ToString(System.Globalization.CultureInfo.InvariantCulture)) : null,
        };
    }

    public async Task<GetAccountSettingsResponse> GetAccountSettingsAsync(string accountId, CancellationToken cancellationToken)
    {
        var reserved = await Functions.SumReservedConcurrencyAsync(accountId, cancellationToken);
        var (totalCode, count) = await Functions.GetUsageAsync(accountId, cancellationToken);
        return new GetAccountSettingsResponse
        {
            AccountLimit = new AccountLimit
            {
                TotalCodeSize = 80_530_636_800,
                CodeSizeUnzipped = Code.CodeStore.MaxUnzippedBytes,
                CodeSizeZipped = Code.CodeStore.MaxZippedBytes,
                ConcurrentExecutions = options.AccountConcurrencyLimit,
                UnreservedConcurrentExecutions = options.AccountConcurrencyLimit - reserved,
            },
            AccountUsage = new AccountUsage { TotalCodeSize = totalCode, FunctionCount = count },
        };
    }

    /// <summary>The plaintext package of a blob the caller may read (the presigned code URL).</summary>
    public async Task<byte[]?> ReadCodeAsync(string blobId, CancellationToken cancellationToken)
    {
        var blob = await store.Blobs.GetAsync(blobId, cancellationToken);
        return blob is null ? null : await code.ReadAsync(blob, cancellationToken);
    }
}
