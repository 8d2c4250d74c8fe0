using Lamina.Core.Accounts;
using Lamina.Core.Auth;
using Lamina.Core.Errors;
using Lamina.Core.Iam;
using Lamina.Http;

namespace Lamina.ControlPlane;

/// <summary>
/// The STS query API (botocore sts 2011-06-15): GetCallerIdentity, GetSessionToken and AssumeRole.
/// </summary>
/// <remarks>
/// AssumeRole is authorized as <c>sts:AssumeRole</c> on the role ARN with the role's trust policy as the
/// resource policy, and the trust policy must allow (IAM's rule for role trust policies, unlike other
/// resource policies): a trust policy naming the caller (its user ARN, or for a role session its role
/// ARN) suffices in the same account; one naming only the caller's account delegates to the caller's
/// identity policies, which must then allow <c>sts:AssumeRole</c> too; across accounts both are needed.
/// An unknown role is indistinguishable from a refused one (AccessDenied), as on AWS.
/// </remarks>
internal static class StsApi
{
    public static void Map(RootDispatcher root)
    {
        root.Add("sts", "GetCallerIdentity", GetCallerIdentity);
        root.Add("sts", "GetSessionToken", GetSessionToken);
        root.Add("sts", "AssumeRole", AssumeRole);
    }

    private static StsService Sts(ApiCall call) => call.Service<StsService>();

    /// <summary>AWS: no permission is needed, and an explicit deny does not apply either.</summary>
    private static Task<ApiResult> GetCallerIdentity(ApiCall call)
    {
        var caller = call.Caller;
        return Task.FromResult<ApiResult>(new XmlResult(xml =>
        {
            xml.Value("UserId", caller.PrincipalId);
            xml.Value("Account", caller.AccountId);
            xml.Value("Arn", caller.Arn);
        }));
    }

    /// <summary>AWS: "No permissions are required for a user to get a session token"; policies cannot restrict it.</summary>
    private static async Task<ApiResult> GetSessionToken(ApiCall call)
    {
        var args = new QueryArgs(call.Form);
        var duration = args.Int("DurationSeconds", 900, 129600);
        if (args.Raw("SerialNumber") is not null || args.Raw("TokenCode") is not null)
        {
            return IamErrors.AccessDenied("MultiFactorAuthentication failed: Lamina has no MFA devices.");
        }

        if (args.Error is { } invalid)
        {
            return invalid;
        }

        var issued = await Sts(call).GetSessionTokenAsync(call.Caller, duration, call.Aborted());
        return issued.TryGetValue(out var credentials, out var error) ? new XmlResult(xml => Credentials(xml, credentials)) : error;
    }

    private static async Task<ApiResult> AssumeRole(ApiCall call)
    {
        var args = new QueryArgs(call.Form);
        var roleArn = args.Required("RoleArn", IamConstraints.Arn);
        var sessionName = args.Required("RoleSessionName", IamConstraints.RoleSessionName);
        var duration = args.Int("DurationSeconds", 900, 43200);
        var policy = args.Optional("Policy", IamConstraints.SessionPolicy);
        var policyArns = args.StructureField("PolicyArns", "arn", IamConstraints.Arn);
        var externalId = args.Optional("ExternalId", IamConstraints.ExternalId);
        if (policyArns.Count > IamConstraints.MaxSessionPolicyArns)
        {
            return IamErrors.Validation(
                $"1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to {IamConstraints.MaxSessionPolicyArns}");
        }

        if (args.Error is { } invalid)
        {
            return invalid;
        }

        var caller = call.Caller;
        if (caller.Kind == PrincipalKind.Root)
        {
            return IamErrors.AccessDenied("Roles may not be assumed by root accounts.");
        }

        var role = await Sts(call).FindRoleAsync(roleArn, call.Aborted());
        var context = new Dictionary<string, string>(StringComparer.Ordinal) { ["sts:RoleSessionName"] = sessionName };
        if (externalId is not null)
        {
            context["sts:ExternalId"] = externalId;
        }

        var trust = role is not null && PolicyDocument.TryParse(role.AssumeRolePolicyDocument, out var parsed, out _) ? parsed : null;
        var resourceAccount = role?.AccountId ?? AccountOf(roleArn) ?? caller.AccountId;
        if (role is null || trust is null)
        {
            // No role (or an unreadable trust policy): the same refusal a trust policy would give.
            return PolicyAuthorizer.Denied(caller, new AuthorizationRequest("sts:AssumeRole", roleArn, resourceAccount),
                "because no resource-based policy allows the sts:AssumeRole action");
        }

        if (await call.AuthorizeAssumeRoleAsync(role.Arn, role.AccountId, trust, context) is { } denied)
        {
            return denied;
        }

        var result = await Sts(call).AssumeRoleAsync(caller, role, new AssumeRoleInput(sessionName, duration, policy, policyArns), call.Aborted());
        if (!result.TryGetValue(out var session, out var error))
        {
            return error;
        }

        return new XmlResult(xml =>
        {
            Credentials(xml, session.Credentials);
            xml.Start("AssumedRoleUser");
            xml.Value("AssumedRoleId", session.AssumedRoleId);
            xml.Value("Arn", session.Credentials.PrincipalArn);
            xml.End();
            xml.Value("PackedPolicySize", session.PackedPolicySize);
        });
    }

    private static string? AccountOf(string arn)
    {
        var parts = arn.Split(':');
        return parts.Length >= 6 && parts[4].Length == 12 ? parts[4] : null;
    }

    private static void Credentials(QueryXml xml, TemporaryCredentials credentials)
    {
        xml.Start("Credentials");
        xml.Value("AccessKeyId", credentials.AccessKeyId);
        xml.Value("SecretAccessKey", credentials.SecretAccessKey);
        xml.Value("SessionToken", credentials.SessionToken);
        xml.Value("Expiration", credentials.Expiration);
        xml.End();
    }
}
