using System.Text.RegularExpressions;
using Lamina.Core.Api.Lambda;
using Lamina.Core.Errors;
using Lamina.Core.Storage;

namespace Lamina.Core.Functions;

internal sealed partial class FunctionService
{
    public const string AliasNamePattern = "(?!^[0-9]+$)([a-zA-Z0-9-_]+)";
    public const string FunctionVersionPattern = @"(\$LATEST|[0-9]+)";

    [GeneratedRegex("^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$")]
    private static partial Regex AliasNameRegex();

    [GeneratedRegex(@"^(\$LATEST|[0-9]+)$")]
    private static partial Regex FunctionVersionRegex();

    private static void CheckAliasModel(Violations v, string? name, string? functionVersion, string? description, AliasRoutingConfiguration? routing)
    {
        v.Length(name, "name", 1, 128);
        v.Pattern(name, "name", AliasNameRegex(), AliasNamePattern);
        v.Length(functionVersion, "functionVersion", 1, 1024);
        v.Pattern(functionVersion, "functionVersion", FunctionVersionRegex(), FunctionVersionPattern);
        v.Length(description, "description", 0, 256);
        if (routing?.AdditionalVersionWeights is { } weights)
        {
            if (weights.Keys.Any(k => k.Length is < 1 or > 1024 || !k.All(char.IsAsciiDigit)))
            {
                v.Add(weights, "routingConfig.additionalVersionWeights",
                    "Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+, Member must not be null]");
            }
            else if (weights.Values.Any(w => w is < 0.0 or > 1.0 || double.IsNaN(w)))
            {
                v.Add(weights, "routingConfig.additionalVersionWeights",
                    "Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]");
            }
        }
    }

    private async Task<AwsError?> CheckAliasTargetsAsync(FunctionTarget target, string functionVersion, AliasRoutingConfiguration? routing,
        CancellationToken cancellationToken)
    {
        var weights = routing?.AdditionalVersionWeights;
        if (weights is { Count: > 1 })
        {
            return LambdaErrors.InvalidParameter("Number of items in AdditionalVersionWeights cannot be greater than 1");
        }

        if (weights is { Count: > 0 } && functionVersion == FunctionVersions.Latest)
        {
            return LambdaErrors.InvalidParameter("$LATEST is not supported for an alias pointing to more than 1 version");
        }

        if (weights is not null && weights.ContainsKey(functionVersion))
        {
            return LambdaErrors.InvalidParameter(
                $"Invalid function version {functionVersion}. Function version {functionVersion} is already included in routing configuration.");
        }

        foreach (var version in weights?.Keys.Prepend(functionVersion) ?? [functionVersion])
        {
            if (await Functions.GetVersionAsync(target.AccountId, target.Name, version, cancellationToken) is null)
            {
                return LambdaErrors.FunctionNotFound(Arns.Function(options.Region, target.AccountId, target.Name, version));
            }
        }

        return null;
    }

    private AliasConfiguration AliasConfig(FunctionTarget target, string name, string functionVersion, string? description,
        AliasRoutingConfiguration? routing) => new()
    {
        AliasArn = Arns.Function(options.Region, target.AccountId, target.Name, name),
        Name = name,
        FunctionVersion = functionVersion,
        Description = description ?? "",
        RoutingConfig = routing?.AdditionalVersionWeights is { Count: > 0 } ? routing : null,
        RevisionId = LambdaTime.NewRevisionId(),
    };

    public async Task<Outcome<AliasConfiguration>> CreateAliasAsync(FunctionTarget target, CreateAliasRequest request, CancellationToken cancellationToken)
    {
        var v = new Violations();
        v.Required(request.Name, "name");
        v.Required(request.FunctionVersion, "functionVersion");
        CheckAliasModel(v, request.Name, request.FunctionVersion, request.Description, request.RoutingConfig);
        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        if (Unqualified(target, "CreateAlias takes the function name or unqualified ARN.") is { } qualified)
        {
            return qualified;
        }

        if (await Functions.GetFunctionAsync(target.AccountId, target.Name, cancellationToken) is null)
        {
            return LambdaErrors.FunctionNotFound(Arns.Function(options.Region, target.AccountId, target.Name, request.FunctionVersion));
        }

        if (await CheckAliasTargetsAsync(target, request.FunctionVersion!, request.RoutingConfig, cancellationToken) is { } targetError)
        {
            return targetError;
        }

        var config = AliasConfig(target, request.Name!, request.FunctionVersion!, request.Description, request.RoutingConfig);
        var status = await Functions.CreateAliasAsync(new AliasRecord { AccountId = target.AccountId, FunctionName = target.Name, Config = config },
            cancellationToken);
        return status switch
        {
            WriteStatus.Ok => config,
            WriteStatus.AlreadyExists => LambdaErrors.AliasExists(config.AliasArn!),
            WriteStatus.NotFound => LambdaErrors.FunctionNotFound(target.UnqualifiedArn(options.Region)),
            _ => LambdaErrors.Service($"Could not create alias ({status})."),
        };
    }

    public async Task<Outcome<AliasConfiguration>> GetAliasAsync(FunctionTarget target, string name, CancellationToken cancellationToken)
    {
        var alias = await Functions.GetAliasAsync(target.AccountId, target.Name, name, cancellationToken);
        return alias is null ? LambdaErrors.AliasNotFound(Arns.Function(options.Region, target.AccountId, target.Name, name)) : alias.Config;
    }

    public async Task<Outcome<AliasConfiguration>> UpdateAliasAsync(FunctionTarget target, string name, UpdateAliasRequest request,
        CancellationToken cancellationToken)
    {
        var v = new Violations();
        CheckAliasModel(v, name, request.FunctionVersion, request.Description, request.RoutingConfig);
        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        for (var attempt = 0; ; attempt++)
        {
            var current = await Functions.GetAliasAsync(target.AccountId, target.Name, name, cancellationToken);
            if (current is null)
            {
                return LambdaErrors.AliasNotFound(Arns.Function(options.Region, target.AccountId, target.Name, name));
            }

            if (request.RevisionId is not null && request.RevisionId != current.Config.RevisionId)
            {
                return LambdaErrors.RevisionMismatch();
            }

            var functionVersion = request.FunctionVersion ?? current.Config.FunctionVersion!;
            var routing = request.RoutingConfig ?? current.Config.RoutingConfig;
            if (await CheckAliasTargetsAsync(target, functionVersion, routing, cancellationToken) is { } targetError)
            {
                return targetError;
            }

            var config = AliasConfig(target, name, functionVersion, request.Description ?? current.Config.Description, routing);
            var status = await Functions.UpdateAliasAsync(current with { Config = config }, current.Config.RevisionId, cancellationToken);
            switch (status)
            {
                case WriteStatus.Ok:
                    return config;
                case WriteStatus.NotFound:
                    return LambdaErrors.AliasNotFound(config.AliasArn!);
                case WriteStatus.RevisionMismatch when request.RevisionId is null && attempt < RaceRetries:
                    // Another update landed between our read and write; the caller named no revision, so redo on the new one.
                    continue;
                case WriteStatus.RevisionMismatch when request.RevisionId is null:
                    return LambdaErrors.UpdateInProgress(config.AliasArn!);
                case WriteStatus.RevisionMismatch:
                    return LambdaErrors.RevisionMismatch();
                default:
                    return LambdaErrors.Service($"Could not update alias ({status}).");
            }
        }
    }

    public async Task<AwsError?> DeleteAliasAsync(FunctionTarget target, string name, CancellationToken cancellationToken)
    {
        var status = await Functions.DeleteAliasAsync(target.AccountId, target.Name, name, cancellationToken);
        // AWS answers 204 whether or not the alias existed.
        return status is WriteStatus.Ok or WriteStatus.NotFound ? null : LambdaErrors.Service($"Could not delete alias ({status}).");
    }

    public async Task<Outcome<ListAliasesResponse>> ListAliasesAsync(FunctionTarget target, string? functionVersion, string? marker, int? maxItems,
        CancellationToken cancellationToken)
    {
        var v = new Violations();
        v.Range(maxItems, "maxItems", 1, 10000);
        v.Pattern(functionVersion, "functionVersion", FunctionVersionRegex(), FunctionVersionPattern);
        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        if (await Functions.GetFunctionAsync(target.AccountId, target.Name, cancellationToken) is null)
        {
            return LambdaErrors.FunctionNotFound(target.UnqualifiedArn(options.Region));
        }

        var limit = ClampPage(maxItems);
        var page = await Functions.ListAliasesAsync(target.AccountId, target.Name, functionVersion, DecodeMarker(marker), limit + 1, cancellationToken);
        return new ListAliasesResponse
        {
            Aliases = page.Take(limit).Select(a => a.Config).ToList(),
            NextMarker = page.Count > limit ? EncodeMarker(page[limit - 1].Name) : null,
        };
    }
}
