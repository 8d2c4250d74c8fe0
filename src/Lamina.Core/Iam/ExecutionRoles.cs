using System.Collections.Concurrent;
using System.Text.Json;
using Lamina.Core.Accounts;
using Lamina.Core.Auth;
using Lamina.Core.Errors;
using Lamina.Core.Storage;

namespace Lamina.Core.Iam;

/// <summary>
/// Functions' execution roles: checks that Lambda may assume a role (it exists in the function's account
/// and its trust policy lets <c>lambda.amazonaws.com</c> call sts:AssumeRole), and assumes it when an
/// environment is created, handing out role-session credentials that carry exactly the role's rights.
/// </summary>
internal sealed class ExecutionRoles(IStore store, CredentialIssuer issuer, TimeProvider time)
{
    public const string LambdaService = "lambda.amazonaws.com";

    private readonly ConcurrentDictionary<string, TemporaryCredentials> _cache = new(StringComparer.Ordinal);

    public static AwsError CannotAssume() => LambdaErrors.InvalidParameter("The role defined for the function cannot be assumed by Lambda.");

    /// <summary>Null when Lambda may assume <paramref name="roleArn"/> for a function of <paramref name="accountId"/>.</summary>
    public async Task<AwsError?> CheckAsync(string accountId, string roleArn, CancellationToken cancellationToken)
    {
        var role = await FindAsync(accountId, roleArn, cancellationToken);
        return role is not null && Trusts(role) ? null : CannotAssume();
    }

    private async Task<IamRole?> FindAsync(string accountId, string roleArn, CancellationToken cancellationToken)
    {
        var parts = roleArn.Split(':', 6);
        if (parts.Length != 6 || parts[4] != accountId || !parts[5].StartsWith("role/", StringComparison.Ordinal))
        {
            return null;
        }

        var role = await store.Iam.GetRoleAsync(accountId, parts[5][(parts[5].LastIndexOf('/') + 1)..], cancellationToken);
        return role is not null && role.Arn == roleArn ? role : null;
    }

    private bool Trusts(IamRole role)
    {
        if (!PolicyDocument.TryParse(role.AssumeRolePolicyDocument, out var trust, out _))
        {
            return false;
        }

        var decision = PolicyEvaluator.Decide(new EvaluationRequest
        {
            // The service principal acts in the role's account, but only the trust policy can let it in.
            Principal = new PrincipalInfo("lambda", $"arn:aws:iam::aws:service/{LambdaService}", PrincipalKind.Service, Service: LambdaService),
            Action = "sts:AssumeRole",
            Resource = role.Arn,
            ResourceAccount = role.AccountId,
            Context = new RequestContext().Set("aws:CurrentTime", time.GetUtcNow().UtcDateTime.ToString("o", System.Globalization.CultureInfo.InvariantCulture)),
            ResourcePolicy = trust,
        });
        return decision.Allowed;
    }

    /// <summary>
    /// Role-session credentials for an environment that will live at most <paramref name="lifetime"/>. Sessions
    /// are cached per role and function and reused while they outlive a new environment by that lifetime.
    /// </summary>
    public async Task<Outcome<TemporaryCredentials>> AssumeAsync(string accountId, string roleArn, string functionName, TimeSpan lifetime,
        CancellationToken cancellationToken)
    {
        var key = $"{accountId}/{roleArn}/{functionName}";
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && cached.Expiration - now > lifetime)
        {
            return cached;
        }

        var role = await FindAsync(accountId, roleArn, cancellationToken);
        if (role is null || !Trusts(role))
        {
            return CannotAssume();
        }

        // A little longer than the environment may live, so the environment is retired before its keys expire.
        var session = JsonSerializer.Serialize(new SessionInfo(role.Arn, functionName), SessionJson.Default.SessionInfo);
        var credentials = await issuer.IssueAsync(accountId, role.Arn, functionName, lifetime + TimeSpan.FromMinutes(15), session, cancellationToken);
        _cache[key] = credentials;
        return credentials;
    }
}
