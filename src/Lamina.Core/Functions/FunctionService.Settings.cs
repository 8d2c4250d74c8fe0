using Lamina.Core.Api.Lambda;
using Lamina.Core.Errors;
using Lamina.Core.Storage;

namespace Lamina.Core.Functions;

internal sealed partial class FunctionService
{
    private const string TagsOnQualified = "Tags on function aliases and versions are not supported. Please specify a function ARN.";

    public async Task<Outcome<Dictionary<string, string>>> ListTagsAsync(FunctionTarget target, CancellationToken cancellationToken)
    {
        if (Unqualified(target, TagsOnQualified) is { } qualified)
        {
            return qualified;
        }

        var function = await Functions.GetFunctionAsync(target.AccountId, target.Name, cancellationToken);
        return function is null ? LambdaErrors.FunctionNotFound(target.UnqualifiedArn(options.Region)) : new Dictionary<string, string>(function.Tags);
    }

    public async Task<AwsError?> TagAsync(FunctionTarget target, Dictionary<string, string>? tags, CancellationToken cancellationToken)
    {
        if (Unqualified(target, TagsOnQualified) is { } qualified)
        {
            return qualified;
        }

        if (tags is null || tags.Count == 0)
        {
            return LambdaErrors.InvalidParameter("An error occurred and the request cannot be processed.");
        }

        var v = new Violations();
        foreach (var (key, value) in tags)
        {
            v.Length(key, "tags.key", 1, 128);
            v.Length(value, "tags.value", 0, 256);
        }

        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        return await ChangeTagsAsync(target, tags, [], cancellationToken);
    }

    public async Task<AwsError?> UntagAsync(FunctionTarget target, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        if (Unqualified(target, TagsOnQualified) is { } qualified)
        {
            return qualified;
        }

        if (keys.Count == 0)
        {
            return LambdaErrors.Validation("1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null");
        }

        return await ChangeTagsAsync(target, new Dictionary<string, string>(), keys, cancellationToken);
    }

    private async Task<AwsError?> ChangeTagsAsync(FunctionTarget target, IReadOnlyDictionary<string, string> set, IReadOnlyCollection<string> remove,
        CancellationToken cancellationToken) =>
        await Functions.ChangeTagsAsync(target.AccountId, target.Name, set, remove, FunctionValidator.MaxTags, cancellationToken) switch
        {
            WriteStatus.Ok => null,
            WriteStatus.Refused => LambdaErrors.InvalidParameter("Number of tags exceeds resource tag limit."),
            _ => LambdaErrors.FunctionNotFound(target.UnqualifiedArn(options.Region)),
        };

    private const string FunctionOnly =
        "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.";

    public async Task<Outcome<Concurrency>> PutConcurrencyAsync(FunctionTarget target, int? reserved, CancellationToken cancellationToken)
    {
        var v = new Violations();
        v.Required(reserved, "reservedConcurrentExecutions");
        v.Range(reserved, "reservedConcurrentExecutions", 0, int.MaxValue);
        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        if (Unqualified(target, FunctionOnly) is { } qualified)
        {
            return qualified;
        }

        var provisioned = (await Functions.ListProvisionedAsync(target.AccountId, target.Name, cancellationToken)).Sum(p => p.Requested);
        if (reserved < provisioned)
        {
            return LambdaErrors.InvalidParameter(
                $" ReservedConcurrentExecutions  {reserved} should not be lower than function's total provisioned concurrency [{provisioned}].");
        }

        var maxReservable = options.AccountConcurrencyLimit - options.UnreservedConcurrencyMinimum;
        var result = await Functions.SetReservedConcurrencyAsync(target.AccountId, target.Name, reserved, maxReservable, cancellationToken);
        return result.Status switch
        {
            WriteStatus.Ok => new Concurrency { ReservedConcurrentExecutions = reserved },
            WriteStatus.NotFound => LambdaErrors.FunctionNotFound(target.Arn(options.Region) + ":$LATEST"),
            WriteStatus.Refused => LambdaErrors.InvalidParameter(
                $"Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [{options.UnreservedConcurrencyMinimum}]."),
            _ => LambdaErrors.Service($"Could not set concurrency ({result.Status})."),
        };
    }

    public async Task<Outcome<Concurrency>> GetConcurrencyAsync(FunctionTarget target, CancellationToken cancellationToken)
    {
        if (Unqualified(target, FunctionOnly) is { } qualified)
        {
            return qualified;
        }

        var function = await Functions.GetFunctionAsync(target.AccountId, target.Name, cancellationToken);
        return function is null
            ? LambdaErrors.FunctionNotFound(target.UnqualifiedArn(options.Region))
            : new Concurrency { ReservedConcurrentExecutions = function.ReservedConcurrency };
    }

    public async Task<AwsError?> DeleteConcurrencyAsync(FunctionTarget target, CancellationToken cancellationToken)
    {
        if (Unqualified(target, FunctionOnly) is { } qualified)
        {
            return qualified;
        }

        var result = await Functions.SetReservedConcurrencyAsync(target.AccountId, target.Name, null, int.MaxValue, cancellationToken);
        return result.Status == WriteStatus.Ok ? null : LambdaErrors.FunctionNotFound(target.UnqualifiedArn(options.Region));
    }

    /// <summary>Checks that a provisioned-concurrency qualifier names a published version or an alias that exists.</summary>
    private async Task<AwsError?> CheckProvisionedQualifierAsync(FunctionTarget target, string? qualifier, string latestMessage,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(qualifier))
        {
            return LambdaErrors.Validation("1 validation error detected: Value null at 'qualifier' failed to satisfy constraint: Member must not be null");
        }

        if (qualifier == FunctionVersions.Latest)
        {
            return LambdaErrors.InvalidParameter(latestMessage);
        }

        if (IsVersionNumber(qualifier))
        {
            return await Functions.GetVersionAsync(target.AccountId, target.Name, qualifier, cancellationToken) is null
                ? LambdaErrors.FunctionNotFound(Arns.Function(options.Region, target.AccountId, target.Name, qualifier))
                : null;
        }

        return await Functions.GetAliasAsync(target.AccountId, target.Name, qualifier, cancellationToken) is null
            ? LambdaErrors.AliasNotFound(Arns.Function(options.Region, target.AccountId, target.Name, qualifier))
            : null;
    }

    public async Task<Outcome<ProvisionedConcurrencyConfig>> PutProvisionedAsync(FunctionTarget target, int? requested, CancellationToken cancellationToken)
    {
        var v = new Violations();
        v.Required(requested, "provisionedConcurrentExecutions");
        v.Range(requested, "provisionedConcurrentExecutions", 1, int.MaxValue);
        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        if (await CheckProvisionedQualifierAsync(target, target.Qualifier,
                "Provisioned Concurrency Configs cannot be applied to unpublished function versions.", cancellationToken) is { } qualifierError)
        {
            return qualifierError;
        }

        var function = await Functions.GetFunctionAsync(target.AccountId, target.Name, cancellationToken);
        if (function is null)
        {
            return LambdaErrors.FunctionNotFound(target.UnqualifiedArn(options.Region));
        }

        var others = (await Functions.ListProvisionedAsync(target.AccountId, target.Name, cancellationToken))
            .Where(p => p.Qualifier != target.Qualifier).Sum(p => p.Requested);
        if (function.ReservedConcurrency is { } reserved && others + requested > reserved)
        {
            return LambdaErrors.InvalidParameter("Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function");
        }

        var unreserved = options.AccountConcurrencyLimit - await Functions.SumReservedConcurrencyAsync(target.AccountId, cancellationToken);
        if (function.ReservedConcurrency is null && others + requested > unreserved - options.UnreservedConcurrencyMinimum)
        {
            return LambdaErrors.InvalidParameter(
                $"Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [{options.UnreservedConcurrencyMinimum}].");
        }

        var record = new ProvisionedConcurrencyRecord
        {
            AccountId = target.AccountId,
            FunctionName = target.Name,
            Qualifier = target.Qualifier!,
            Requested = requested!.Value,
            LastModified = LambdaTime.Format(time.GetUtcNow()),
        };
        await Functions.PutProvisionedAsync(record, cancellationToken);
        return ToConfig(record);
    }

    public async Task<Outcome<ProvisionedConcurrencyConfig>> GetProvisionedAsync(FunctionTarget target, CancellationToken cancellationToken)
    {
        if (await CheckProvisionedQualifierAsync(target, target.Qualifier,
                "The function resource provided must be an alias or a published version.", cancellationToken) is { } qualifierError)
        {
            return qualifierError;
        }

        var record = await Functions.GetProvisionedAsync(target.AccountId, target.Name, target.Qualifier!, cancellationToken);
        return record is null ? LambdaErrors.ProvisionedConfigNotFound() : ToConfig(record);
    }

    public async Task<AwsError?> DeleteProvisionedAsync(FunctionTarget target, CancellationToken cancellationToken)
    {
        if (await CheckProvisionedQualifierAsync(target, target.Qualifier,
                "The function resource provided must be an alias or a published version.", cancellationToken) is { } qualifierError)
        {
            return qualifierError;
        }

        await Functions.DeleteProvisionedAsync(target.AccountId, target.Name, target.Qualifier!, cancellationToken);
        return null;
    }

    public async Task<Outcome<ListProvisionedConcurrencyConfigsResponse>> ListProvisionedAsync(FunctionTarget target, CancellationToken cancellationToken)
    {
        if (await Functions.GetFunctionAsync(target.AccountId, target.Name, cancellationToken) is null)
        {
            return LambdaErrors.FunctionNotFound(target.UnqualifiedArn(options.Region));
        }

        var records = await Functions.ListProvisionedAsync(target.AccountId, target.Name, cancellationToken);
        return new ListProvisionedConcurrencyConfigsResponse
        {
            ProvisionedConcurrencyConfigs = records.Select(r => new ProvisionedConcurrencyConfigListItem
            {
                FunctionArn = Arns.Function(options.Region, r.AccountId, r.FunctionName, r.Qualifier),
                RequestedProvisionedConcurrentExecutions = r.Requested,
                AvailableProvisionedConcurrentExecutions = r.Allocated,
                AllocatedProvisionedConcurrentExecutions = r.Allocated,
                Status = r.Status,
                StatusReason = r.StatusReason,
                LastModified = r.LastModified,
            }).ToList(),
        };
    }

    private static ProvisionedConcurrencyConfig ToConfig(ProvisionedConcurrencyRecord r) => new()
    {
        RequestedProvisionedConcurrentExecutions = r.Requested,
        AvailableProvisionedConcurrentExecutions = r.Allocated,
        AllocatedProvisionedConcurrentExecutions = r.Allocated,
        Status = r.Status,
        StatusReason = r.StatusReason,
        LastModified = r.LastModified,
    };
}
