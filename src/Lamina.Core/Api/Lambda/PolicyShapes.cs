namespace Lamina.Core.Api.Lambda;

internal sealed record AddPermissionRequest
{
    public string? StatementId { get; init; }
    public string? Action { get; init; }
    public string? Principal { get; init; }
    public string? SourceArn { get; init; }
    public string? SourceAccount { get; init; }
    public string? EventSourceToken { get; init; }
    public string? RevisionId { get; init; }
    public string? PrincipalOrgID { get; init; }
    public string? FunctionUrlAuthType { get; init; }
    public bool? InvokedViaFunctionUrl { get; init; }
}

internal sealed record AddPermissionResponse
{
    public string? Statement { get; init; }
}

internal sealed record GetPolicyResponse
{
    public string? Policy { get; init; }
    public string? RevisionId { get; init; }
}

internal sealed record AddLayerVersionPermissionRequest
{
    public string? StatementId { get; init; }
    public string? Action { get; init; }
    public string? Principal { get; init; }
    public string? OrganizationId { get; init; }
    public string? RevisionId { get; init; }
}

internal sealed record AddLayerVersionPermissionResponse
{
    public string? Statement { get; init; }
    public string? RevisionId { get; init; }
}
