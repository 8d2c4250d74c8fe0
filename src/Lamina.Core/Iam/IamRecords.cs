namespace Lamina.Core.Iam;

/// <summary>Whom an inline policy or attachment belongs to.</summary>
internal enum IamPrincipalType
{
    User,
    Role,
}

internal sealed record IamUser
{
    public required string AccountId { get; init; }
    public required string UserName { get; init; }

    /// <summary>AWS-style unique id (<c>AIDA</c> + 17 characters).</summary>
    public required string UserId { get; init; }

    public string Path { get; init; } = "/";
    public required DateTimeOffset CreatedAt { get; init; }
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    public string Arn => $"arn:aws:iam::{AccountId}:user{Path}{UserName}";
}

internal sealed record IamRole
{
    public required string AccountId { get; init; }
    public required string RoleName { get; init; }

    /// <summary>AWS-style unique id (<c>AROA</c> + 17 characters).</summary>
    public required string RoleId { get; init; }

    public string Path { get; init; } = "/";

    /// <summary>The trust policy (who may assume the role), as JSON.</summary>
    public required string AssumeRolePolicyDocument { get; init; }

    /// <summary>Seconds, 3,600–43,200 (IAM default 3,600).</summary>
    public int MaxSessionDuration { get; init; } = 3600;

    public string? Description { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    public string Arn => $"arn:aws:iam::{AccountId}:role{Path}{RoleName}";
}

/// <summary>A customer managed policy (AWS managed ones are built in).</summary>
internal sealed record ManagedPolicy
{
    public required string AccountId { get; init; }
    public required string PolicyName { get; init; }

    /// <summary><c>ANPA</c> + 17 characters.</summary>
    public required string PolicyId { get; init; }

    public string Path { get; init; } = "/";
    public string? Description { get; init; }

    /// <summary>The default version's document, as JSON.</summary>
    public required string Document { get; init; }

    public string DefaultVersionId { get; init; } = "v1";
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    public string Arn => $"arn:aws:iam::{AccountId}:policy{Path}{PolicyName}";
}

/// <summary>An inline policy embedded in a user or role.</summary>
internal sealed record InlinePolicy(string AccountId, IamPrincipalType PrincipalType, string PrincipalName, string PolicyName, string Document);

/// <summary>A resource-based policy of a Lambda function (per qualifier) or layer version, with its revision.</summary>
internal sealed record ResourcePolicy(string Document, string RevisionId);

/// <summary>All policies that apply to a user or role, for evaluation.</summary>
internal sealed record PrincipalPolicies(IReadOnlyList<string> InlineDocuments, IReadOnlyList<string> AttachedArns);
