using Lamina.Core.Accounts;

namespace Lamina.Core.Auth;

/// <summary>The authenticated principal of one API request.</summary>
internal sealed record CallerIdentity(
    string AccountId,
    string Arn,
    string PrincipalId,
    PrincipalKind Kind,
    string AccessKeyId)
{
    /// <summary>Session data of temporary credentials (role, policies), as stored with the key.</summary>
    public string? SessionData { get; init; }

    /// <summary>When the temporary credentials were issued (the audit record's <c>sessionContext.attributes.creationDate</c>).</summary>
    public DateTimeOffset? SessionCreatedAt { get; init; }

    /// <summary>The service name in the signature's credential scope (e.g. <c>lambda</c>, <c>iam</c>).</summary>
    public string SigningService { get; init; } = "";

    public bool IsRoot => Kind == PrincipalKind.Root;
}
