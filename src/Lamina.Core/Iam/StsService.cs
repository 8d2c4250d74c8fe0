using System.Text.Json;
using Lamina.Core.Accounts;
using Lamina.Core.Auth;
using Lamina.Core.Errors;
using Lamina.Core.Storage;

namespace Lamina.Core.Iam;

/// <summary>AssumeRole's members once they are valid against the model.</summary>
internal sealed record AssumeRoleInput(string RoleSessionName, int? DurationSeconds, string? Policy, IReadOnlyList<string> PolicyArns);

/// <summary>AssumeRole's answer: the credentials, the session's ids, and how much of the session-policy allowance was used.</summary>
internal sealed record AssumeRoleOutput(TemporaryCredentials Credentials, string AssumedRoleId, int? PackedPolicySize);

/// <summary>
/// STS: role sessions (AssumeRole) and user sessions (GetSessionToken), minted by <see cref="CredentialIssuer"/>.
/// Authorization of AssumeRole against the role's trust policy is the caller's job (the handler) and
/// happens before <see cref="AssumeRoleAsync"/>.
/// </summary>
internal sealed class StsService(IStore store, IamService iam, CredentialIssuer issuer)
{
    /// <summary>AssumeRole without DurationSeconds: one hour.</summary>
    public const int DefaultRoleSessionSeconds = 3600;

    /// <summary>A role session assuming a role (role chaining) gets at most one hour.</summary>
    public const int RoleChainingMaxSeconds = 3600;

    /// <summary>GetSessionToken without DurationSeconds: 12 hours; the root user's sessions are capped at one hour.</summary>
    public const int DefaultUserSessionSeconds = 43200;

    public const int RootSessionMaxSeconds = 3600;

    /// <summary>The role an ARN names, in whichever account it names; null when there is none (or the path differs).</summary>
    public async Task<IamRole?> FindRoleAsync(string roleArn, CancellationToken cancellationToken)
    {
        const string Prefix = "arn:aws:iam::";
        if (!roleArn.StartsWith(Prefix, StringComparison.Ordinal) || roleArn.Length < Prefix.Length + 14 || roleArn[Prefix.Length + 12] != ':')
        {
            return null;
        }

        var account = roleArn.Substring(Prefix.Length, 12);
        var resource = roleArn[(Prefix.Length + 13)..];
        if (!account.All(char.IsAsciiDigit) || !resource.StartsWith("role/", StringComparison.Ordinal))
        {
            return null;
        }

        var role = await store.Iam.GetRoleAsync(account, resource[(resource.LastIndexOf('/') + 1)..], cancellationToken);
        return role is not null && string.Equals(role.Arn, roleArn, StringComparison.Ordinal) ? role : null;
    }

    public async Task<Outcome<AssumeRoleOutput>> AssumeRoleAsync(CallerIdentity caller, IamRole role, AssumeRoleInput input,
        CancellationToken cancellationToken)
    {
        var chained = caller.Kind == PrincipalKind.AssumedRole;
        var seconds = input.DurationSeconds ?? DefaultRoleSessionSeconds;
        if (chained && seconds > RoleChainingMaxSeconds)
        {
            return IamErrors.Validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
        }

        if (seconds > role.MaxSessionDuration)
        {
            return IamErrors.Validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
        }

        var documents = new List<string>();
        var packedCharacters = 0;
        if (input.Policy is { } inline)
        {
            if (!PolicyDocument.TryParse(inline, out _, out var error))
            {
                return IamErrors.MalformedPolicyDocument(error ?? "Syntax errors in policy.");
            }

            var compact = Compact(inline);
            documents.Add(compact);
            packedCharacters += compact.Length;
        }

        foreach (var arn in input.PolicyArns)
        {
            // Session policy ARNs name managed policies of the role's account (or AWS managed ones).
            if (await iam.PolicyDocumentAsync(role.AccountId, arn, cancellationToken) is not { } document)
            {
                return IamErrors.Validation($"Policy {arn} does not exist or is not attachable.");
            }

            documents.Add(document);
            packedCharacters += arn.Length;
        }

        int? packed = null;
        if (documents.Count > 0)
        {
            // AWS packs (compresses) session policies into the token and reports the share of its allowance used; Lamina
            // stores them instead and reports the share of the documented 2,048-character plaintext allowance.
            packed = (int)Math.Ceiling(100.0 * packedCharacters / IamConstraints.SessionPolicySize);
            if (packed > 100)
            {
                return IamErrors.PackedPolicyTooLarge(packed.Value);
            }
        }

        var session = new SessionInfo(role.Arn, input.RoleSessionName, documents.Count > 0 ? documents : null, chained);
        var credentials = await issuer.IssueAsync(role.AccountId, role.Arn, role.RoleId, input.RoleSessionName, TimeSpan.FromSeconds(seconds),
            JsonSerializer.Serialize(session, SessionJson.Default.SessionInfo), cancellationToken);
        return new AssumeRoleOutput(credentials, $"{role.RoleId}:{input.RoleSessionName}", packed);
    }

    /// <summary>Users and the root user only; never from session credentials (role sessions or earlier GetSessionToken sessions).</summary>
    public async Task<Outcome<TemporaryCredentials>> GetSessionTokenAsync(CallerIdentity caller, int? durationSeconds, CancellationToken cancellationToken)
    {
        if (caller.Kind is not (PrincipalKind.User or PrincipalKind.Root) || caller.SessionData is not null)
        {
            return IamErrors.AccessDenied("Cannot call GetSessionToken with session credentials");
        }

        var seconds = durationSeconds ?? DefaultUserSessionSeconds;
        if (caller.Kind == PrincipalKind.Root)
        {
            seconds = Math.Min(seconds, RootSessionMaxSeconds);
        }

        return await issuer.IssueSessionTokenAsync(caller, TimeSpan.FromSeconds(seconds), cancellationToken);
    }

    private static string Compact(string json)
    {
        using var document = JsonDocument.Parse(json);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            document.RootElement.WriteTo(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
