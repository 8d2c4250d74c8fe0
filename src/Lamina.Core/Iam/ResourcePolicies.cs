using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Lamina.Core.Api.Lambda;
using Lamina.Core.Errors;
using Lamina.Core.Functions;
using Lamina.Core.Storage;

namespace Lamina.Core.Iam;

/// <summary>
/// Lambda's resource-based policies: AddPermission / RemovePermission / GetPolicy for functions (per
/// qualifier) and the layer-version equivalents. Statements are written in the shape AWS returns
/// (Sid, Effect, Principal, Action, Resource, Condition), with the confused-deputy conditions
/// (<c>AWS:SourceArn</c>, <c>AWS:SourceAccount</c>) and organization scoping.
/// </summary>
internal sealed partial class ResourcePolicies(IStore store, FunctionService functions, ControlPlaneOptions options)
{
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [GeneratedRegex("^[a-zA-Z0-9-_.]+$")]
    private static partial Regex StatementIdRegex();

    [GeneratedRegex(@"^(lambda:[*]|lambda:[a-zA-Z]+|[*])$")]
    private static partial Regex ActionRegex();

    [GeneratedRegex(@"^\d{12}$")]
    private static partial Regex AccountRegex();

    [GeneratedRegex(@"^arn:aws[a-zA-Z-]*:(iam|sts)::\d{12}:.+$")]
    private static partial Regex PrincipalArnRegex();

    [GeneratedRegex(@"^[a-z0-9.-]+\.(amazonaws\.com|amazon\.com)$")]
    private static partial Regex ServiceRegex();

    public async Task<Outcome<AddPermissionResponse>> AddAsync(FunctionTarget target, AddPermissionRequest request, CancellationToken cancellationToken)
    {
        var v = new Violations();
        v.Required(request.StatementId, "statementId");
        v.Required(request.Action, "action");
        v.Required(request.Principal, "principal");
        v.Length(request.StatementId, "statementId", 1, 100);
        v.Pattern(request.StatementId, "statementId", StatementIdRegex(), "([a-zA-Z0-9-_.]+)");
        v.Pattern(request.Action, "action", ActionRegex(), "(lambda:[*]|lambda:[a-zA-Z]+|[*])");
        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        if (target.Qualifier == FunctionVersions.Latest)
        {
            return LambdaErrors.InvalidParameter("We currently do not support adding policies for $LATEST.");
        }

        var resolved = await functions.ResolveAsync(target, cancellationToken);
        if (!resolved.IsSuccess)
        {
            return target.Qualifier is { } q && !FunctionService.IsVersionNumber(q)
                ? LambdaErrors.AliasNotFound(target.Arn(options.Region))
                : resolved.Error;
        }

        var principal = PrincipalElement(request.Principal!);
        if (principal is null)
        {
            return LambdaErrors.InvalidParameter("The provided principal was invalid. Please check the principal and try again.");
        }

        var statement = new JsonObject
        {
            ["Sid"] = request.StatementId,
            ["Effect"] = "Allow",
            ["Principal"] = principal,
            ["Action"] = request.Action,
            ["Resource"] = target.Arn(options.Region),
        };
        var condition = new JsonObject();
        AddCondition(condition, "ArnLike", "AWS:SourceArn", request.SourceArn);
        AddCondition(condition, "StringEquals", "AWS:SourceAccount", request.SourceAccount);
        AddCondition(condition, "StringEquals", "aws:PrincipalOrgID", request.PrincipalOrgID);
        AddCondition(condition, "StringEquals", "lambda:FunctionUrlAuthType", request.FunctionUrlAuthType);
        AddCondition(condition, "StringEquals", "lambda:EventSourceToken", request.EventSourceToken);
        if (condition.Count > 0)
        {
            statement["Condition"] = condition;
        }

        var qualifier = target.Qualifier ?? "";
        for (var attempt = 0; ; attempt++)
        {
            var current = await store.Iam.GetFunctionPolicyAsync(target.AccountId, target.Name, qualifier, cancellationToken);
            if (request.RevisionId is not null && request.RevisionId != current?.RevisionId)
            {
                return LambdaErrors.RevisionMismatch();
            }

            var document = current is null ? NewDocument() : JsonNode.Parse(current.Document)!.AsObject();
            var statements = document["Statement"]!.AsArray();
            if (statements.Any(s => s?["Sid"]?.GetValue<string>() == request.StatementId))
            {
                return LambdaErrors.Conflict(
                    $"The statement id ({request.StatementId}) provided already exists. Please provide a new statement id, or remove the existing statement.");
            }

            statements.Add(statement.DeepClone());
            var status = await store.Iam.PutFunctionPolicyAsync(target.AccountId, target.Name, qualifier,
                new ResourcePolicy(document.ToJsonString(Compact), LambdaTime.NewRevisionId()), current?.RevisionId ?? "", cancellationToken);
            switch (status)
            {
                case WriteStatus.Ok:
                    return new AddPermissionResponse { Statement = statement.ToJsonString(Compact) };
                case WriteStatus.RevisionMismatch when attempt < 8:
                    continue;
                case WriteStatus.NotFound:
                    return LambdaErrors.FunctionNotFound(target.UnqualifiedArn(options.Region));
                default:
                    return LambdaErrors.Conflict($"The operation cannot be performed at this time. An update is in progress for resource: {target.Arn(options.Region)}");
            }
        }
    }

    public async Task<Outcome<GetPolicyResponse>> GetAsync(FunctionTarget target, CancellationToken cancellationToken)
    {
        if (await store.Functions.GetFunctionAsync(target.AccountId, target.Name, cancellationToken) is null)
        {
            return LambdaErrors.FunctionNotFound(target.Arn(options.Region));
        }

        var policy = await store.Iam.GetFunctionPolicyAsync(target.AccountId, target.Name, target.Qualifier ?? "", cancellationToken);
        return policy is null
            ? LambdaErrors.ResourceNotFound("The resource you requested does not exist.")
            : new GetPolicyResponse { Policy = policy.Document, RevisionId = policy.RevisionId };
    }

    public async Task<AwsError?> RemoveAsync(FunctionTarget target, string statementId, string? revisionId, CancellationToken cancellationToken)
    {
        if (await store.Functions.GetFunctionAsync(target.AccountId, target.Name, cancellationToken) is null)
        {
            return LambdaErrors.ResourceNotFound($"No policy found for: {target.UnqualifiedArn(options.Region)}");
        }

        var qualifier = target.Qualifier ?? "";
        for (var attempt = 0; ; attempt++)
        {
            var current = await store.Iam.GetFunctionPolicyAsync(target.AccountId, target.Name, qualifier, cancellationToken);
            if (current is null)
            {
                return LambdaErrors.ResourceNotFound("No policy is associated with the given resource.");
            }

            if (revisionId is not null && revisionId != current.RevisionId)
            {
                return LambdaErrors.RevisionMismatch();
            }

            var document = JsonNode.Parse(current.Document)!.AsObject();
            var statements = document["Statement"]!.AsArray();
            var match = statements.FirstOrDefault(s => s?["Sid"]?.GetValue<string>() == statementId);
            if (match is null)
            {
                return LambdaErrors.ResourceNotFound($"Statement {statementId} is not found in resource policy.");
            }

            statements.Remove(match);
            var replacement = statements.Count == 0 ? null : new ResourcePolicy(document.ToJsonString(Compact), LambdaTime.NewRevisionId());
            var status = await store.Iam.PutFunctionPolicyAsync(target.AccountId, target.Name, qualifier, replacement, current.RevisionId, cancellationToken);
            if (status == WriteStatus.Ok)
            {
                return null;
            }

            if (status != WriteStatus.RevisionMismatch || attempt >= 8)
            {
                return LambdaErrors.Conflict($"The operation cannot be performed at this time. An update is in progress for resource: {target.Arn(options.Region)}");
            }
        }
    }

    public async Task<Outcome<AddLayerVersionPermissionResponse>> AddLayerAsync(string accountId, string layerName, long version,
        AddLayerVersionPermissionRequest request, CancellationToken cancellationToken)
    {
        var v = new Violations();
        v.Required(request.StatementId, "statementId");
        v.Required(request.Action, "action");
        v.Required(request.Principal, "principal");
        v.Pattern(request.StatementId, "statementId", StatementIdRegex(), "([a-zA-Z0-9-_]+)");
        if (request.Action is not null and not "lambda:GetLayerVersion")
        {
            v.Add(request.Action, "action", "Member must satisfy regular expression pattern: lambda:GetLayerVersion");
        }

        if (v.ToError() is { } invalid)
        {
            return invalid;
        }

        var layer = await store.Layers.GetVersionAsync(accountId, layerName, version, cancellationToken);
        if (layer is null)
        {
            return LambdaErrors.ResourceNotFound($"Layer version {Arns.Layer(options.Region, accountId, layerName)}:{version} does not exist.");
        }

        JsonNode? principal = request.Principal == "*" ? "*"
            : AccountRegex().IsMatch(request.Principal!) ? new JsonObject { ["AWS"] = $"arn:aws:iam::{request.Principal}:root" }
            : PrincipalArnRegex().IsMatch(request.Principal!) ? new JsonObject { ["AWS"] = request.Principal }
            : null;
        if (principal is null)
        {
            return LambdaErrors.InvalidParameter("The provided principal was invalid. Please check the principal and try again.");
        }

        var statement = new JsonObject
        {
            ["Sid"] = request.StatementId,
            ["Effect"] = "Allow",
            ["Principal"] = principal,
            ["Action"] = request.Action,
            ["Resource"] = layer.Info.LayerVersionArn,
        };
        if (request.OrganizationId is { } org)
        {
            statement["Condition"] = new JsonObject { ["StringEquals"] = new JsonObject { ["aws:PrincipalOrgID"] = org } };
        }

        var current = await store.Iam.GetLayerVersionPolicyAsync(accountId, layerName, version, cancellationToken);
        if (request.RevisionId is not null && request.RevisionId != current?.RevisionId)
        {
            return new AwsError(412, "PreconditionFailedException",
                "The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the latest Revision Id");
        }

        var document = current is null ? NewDocument() : JsonNode.Parse(current.Document)!.AsObject();
        var statements = document["Statement"]!.AsArray();
        if (statements.Any(s => s?["Sid"]?.GetValue<string>() == request.StatementId))
        {
            return LambdaErrors.Conflict(
                $"The statement id ({request.StatementId}) provided already exists. Please provide a new statement id, or remove the existing statement.");
        }

        statements.Add(statement.DeepClone());
        var revision = LambdaTime.NewRevisionId();
        var status = await store.Iam.PutLayerVersionPolicyAsync(accountId, layerName, version, new ResourcePolicy(document.ToJsonString(Compact), revision),
            current?.RevisionId ?? "", cancellationToken);
        return status == WriteStatus.Ok
            ? new AddLayerVersionPermissionResponse { Statement = statement.ToJsonString(Compact), RevisionId = revision }
            : LambdaErrors.Conflict("The layer version's policy changed concurrently; retry.");
    }

    public async Task<Outcome<GetPolicyResponse>> GetLayerAsync(string accountId, string layerName, long version, CancellationToken cancellationToken)
    {
        if (await store.Layers.GetVersionAsync(accountId, layerName, version, cancellationToken) is null)
        {
            return LambdaErrors.ResourceNotFound($"Layer version {Arns.Layer(options.Region, accountId, layerName)}:{version} does not exist.");
        }

        var policy = await store.Iam.GetLayerVersionPolicyAsync(accountId, layerName, version, cancellationToken);
        return policy is null
            ? LambdaErrors.ResourceNotFound("No policy is associated with the given resource.")
            : new GetPolicyResponse { Policy = policy.Document, RevisionId = policy.RevisionId };
    }

    public async Task<AwsError?> RemoveLayerAsync(string accountId, string layerName, long version, string statementId, string? revisionId,
        CancellationToken cancellationToken)
    {
        var current = await store.Iam.GetLayerVersionPolicyAsync(accountId, layerName, version, cancellationToken);
        if (current is null)
        {
            return LambdaErrors.ResourceNotFound("No policy is associated with the given resource.");
        }

        if (revisionId is not null && revisionId != current.RevisionId)
        {
            return new AwsError(412, "PreconditionFailedException",
                "The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the latest Revision Id");
        }

        var document = JsonNode.Parse(current.Document)!.AsObject();
        var statements = document["Statement"]!.AsArray();
        var match = statements.FirstOrDefault(s => s?["Sid"]?.GetValue<string>() == statementId);
        if (match is null)
        {
            return LambdaErrors.ResourceNotFound($"Statement {statementId} is not found in resource policy.");
        }

        statements.Remove(match);
        var replacement = statements.Count == 0 ? null : new ResourcePolicy(document.ToJsonString(Compact), LambdaTime.NewRevisionId());
        await store.Iam.PutLayerVersionPolicyAsync(accountId, layerName, version, replacement, current.RevisionId, cancellationToken);
        return null;
    }

    /// <summary>How AWS writes an AddPermission principal: "*", a service, an account root, or an IAM/STS ARN.</summary>
    private static JsonNode? PrincipalElement(string principal) =>
        principal == "*" ? "*"
        : ServiceRegex().IsMatch(principal) ? new JsonObject { ["Service"] = principal }
        : AccountRegex().IsMatch(principal) ? new JsonObject { ["AWS"] = $"arn:aws:iam::{principal}:root" }
        : PrincipalArnRegex().IsMatch(principal) ? new JsonObject { ["AWS"] = principal }
        : null;

    private static void AddCondition(JsonObject condition, string op, string key, string? value)
    {
        if (value is null)
        {
            return;
        }

        if (condition[op] is not JsonObject clause)
        {
            clause = new JsonObject();
            condition[op] = clause;
        }

        clause[key] = value;
    }

    private static JsonObject NewDocument() => new()
    {
        ["Version"] = "2012-10-17",
        ["Id"] = "default",
        ["Statement"] = new JsonArray(),
    };

    /// <summary>Parsed policy of a layer version, for authorizing GetLayerVersion and cross-account use.</summary>
    public async Task<PolicyDocument?> LayerPolicyDocumentAsync(string accountId, string layerName, long version, CancellationToken cancellationToken)
    {
        var policy = await store.Iam.GetLayerVersionPolicyAsync(accountId, layerName, version, cancellationToken);
        return policy is not null && PolicyDocument.TryParse(policy.Document, out var doc, out _) ? doc : null;
    }

    internal static string Describe(JsonNode node) => Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(node, Compact));
}
