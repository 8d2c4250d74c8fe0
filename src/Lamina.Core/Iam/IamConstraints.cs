using System.Text.RegularExpressions;

namespace Lamina.Core.Iam;

/// <summary>A string member's model constraints: length bounds and, when it has one, its pattern.</summary>
/// <param name="Pattern">The pattern as the model prints it (shown in ValidationError messages).</param>
/// <param name="Regex">The same pattern anchored for .NET, with Java's ASCII-only <c>\w</c> spelled out.</param>
internal sealed record StringRule(int Min, int Max, string? Pattern = null, Regex? Regex = null);

/// <summary>
/// Constraints of the IAM (2010-05-08) and STS (2011-06-15) request members Lamina serves, copied from
/// the botocore models (<c>userNameType</c>, <c>pathType</c>, <c>roleSessionNameType</c>, ...) and the
/// IAM quotas page.
/// </summary>
internal static partial class IamConstraints
{
    public static readonly StringRule UserName = new(1, 64, @"[\w+=,.@-]+", NameRegex());
    public static readonly StringRule ExistingUserName = new(1, 128, @"[\w+=,.@-]+", NameRegex());
    public static readonly StringRule RoleName = new(1, 64, @"[\w+=,.@-]+", NameRegex());
    public static readonly StringRule PolicyName = new(1, 128, @"[\w+=,.@-]+", NameRegex());
    public static readonly StringRule Path = new(1, 512, @"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)", PathRegex());
    public static readonly StringRule PathPrefix = new(1, 512, @"\u002F[\u0021-\u007F]*", PathPrefixRegex());
    public static readonly StringRule PolicyPath = new(1, 512, @"((/[A-Za-z0-9\.,\+@=_-]+)*)/", PolicyPathRegex());
    public static readonly StringRule PolicyDocument = new(1, 131072, @"[\u0009\u000A\u000D\u0020-\u00FF]+", DocumentRegex());
    public static readonly StringRule RoleDescription = new(0, 1000, @"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*", RoleDescriptionRegex());
    /// <summary>The model gives no pattern; Lamina refuses the control characters an XML response could not carry.</summary>
    public static readonly StringRule PolicyDescription = new(0, 1000, @"[\u0009\u000A\u000D\u0020-\uFFFD]*", XmlTextRegex());
    public static readonly StringRule TagKey = new(1, 128, @"[\p{L}\p{Z}\p{N}_.:/=+\-@]+", TagKeyRegex());
    public static readonly StringRule TagValue = new(0, 256, @"[\p{L}\p{Z}\p{N}_.:/=+\-@]*", TagValueRegex());
    public static readonly StringRule AccessKeyId = new(16, 128, @"[\w]+", WordRegex());
    public static readonly StringRule Arn = new(20, 2048);
    public static readonly StringRule PolicyVersionId = new(0, int.MaxValue, @"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?", VersionIdRegex());
    public static readonly StringRule Marker = new(1, 320, @"[\u0020-\u00FF]+", MarkerRegex());
    public static readonly StringRule RoleSessionName = new(2, 64, @"[\w+=,.@-]*", SessionNameRegex());
    public static readonly StringRule ExternalId = new(2, 1224, @"[\w+=,.@:\/-]*", ExternalIdRegex());
    public static readonly StringRule SessionPolicy = new(1, int.MaxValue, @"[\u0009\u000A\u000D\u0020-\u00FF]+", DocumentRegex());

    public static readonly string[] KeyStatuses = ["Active", "Inactive", "Expired"];
    public static readonly string[] PolicyScopes = ["All", "AWS", "Local"];

    /// <summary>IAM quotas (IAM User Guide, "IAM and AWS STS quotas"): defaults, not the raised maximums.</summary>
    public const int AccessKeysPerUser = 2;
    public const int ManagedPoliciesPerPrincipal = 10;
    public const int TagsPerEntity = 50;
    public const int UserInlinePolicySize = 2048;
    public const int RoleInlinePolicySize = 10240;
    public const int ManagedPolicySize = 6144;
    public const int TrustPolicySize = 2048;

    /// <summary>STS: session policies (inline plus ARNs) may use 2,048 plaintext characters; PolicyArns at most 10.</summary>
    public const int SessionPolicySize = 2048;
    public const int MaxSessionPolicyArns = 10;

    [GeneratedRegex(@"^[A-Za-z0-9_+=,.@-]+$")]
    private static partial Regex NameRegex();

    [GeneratedRegex(@"^(?:/|/[\u0021-\u007E]+/)$")]
    private static partial Regex PathRegex();

    [GeneratedRegex(@"^/[\u0021-\u007F]*$")]
    private static partial Regex PathPrefixRegex();

    [GeneratedRegex(@"^(?:/[A-Za-z0-9.,+@=_-]+)*/$")]
    private static partial Regex PolicyPathRegex();

    [GeneratedRegex(@"^[\u0009\u000A\u000D\u0020-\u00FF]+$")]
    private static partial Regex DocumentRegex();

    [GeneratedRegex(@"^[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*$")]
    private static partial Regex RoleDescriptionRegex();

    [GeneratedRegex(@"^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$")]
    private static partial Regex TagKeyRegex();

    [GeneratedRegex(@"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$")]
    private static partial Regex TagValueRegex();

    [GeneratedRegex(@"^[A-Za-z0-9_]+$")]
    private static partial Regex WordRegex();

    [GeneratedRegex(@"^v[1-9][0-9]*(?:\.[A-Za-z0-9-]*)?$")]
    private static partial Regex VersionIdRegex();

    [GeneratedRegex(@"^[\u0020-\u00FF]+$")]
    private static partial Regex MarkerRegex();

    [GeneratedRegex(@"^[A-Za-z0-9_+=,.@-]*$")]
    private static partial Regex SessionNameRegex();

    [GeneratedRegex(@"^[\u0009\u000A\u000D\u0020-\uFFFD]*$")]
    private static partial Regex XmlTextRegex();

    [GeneratedRegex(@"^[A-Za-z0-9_+=,.@:/-]*$")]
    private static partial Regex ExternalIdRegex();

    /// <summary>Characters IAM counts against a policy size quota: everything but whitespace.</summary>
    public static int PolicySize(string document) => document.Count(c => !char.IsWhiteSpace(c));
}
