using System.Text.RegularExpressions;
using Lamina.Core.Errors;

namespace Lamina.Core.Functions;

/// <summary>
/// A function as named in a request: plain name, <c>name:qualifier</c>, partial ARN
/// (<c>ACCOUNT:function:name</c>) or full ARN, resolved against the caller's account and the server region.
/// </summary>
internal sealed partial record FunctionTarget(string AccountId, string Name, string? Qualifier)
{
    public const string NamePattern =
        @"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?";

    public const string QualifierPattern = @"(|[a-zA-Z0-9$_-]+)";

    [GeneratedRegex(@"^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:(?<region>[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?(?:(?<account>\d{12}):)?(?:function:)?(?<name>[a-zA-Z0-9_-]+)(?::(?<qualifier>\$LATEST|[a-zA-Z0-9_-]+))?$")]
    private static partial Regex Parser();

    [GeneratedRegex(@"^(|[a-zA-Z0-9$_-]+)$")]
    public static partial Regex QualifierRegex();

    public string UnqualifiedArn(string region) => Arns.Function(region, AccountId, Name);

    public string Arn(string region) => Arns.Function(region, AccountId, Name, Qualifier);

    /// <summary>
    /// Parses <paramref name="functionName"/> (path parameter) and the optional <c>Qualifier</c> query
    /// parameter. The ARN's region must be ours; its account defaults to the caller's.
    /// </summary>
    public static Outcome<FunctionTarget> Parse(string functionName, string? qualifier, string callerAccount, string region,
        int maxLength = 170)
    {
        var violations = new Violations();
        violations.Length(functionName, "functionName", 1, maxLength);
        if (qualifier is not null)
        {
            violations.Length(qualifier, "qualifier", 1, 128);
            violations.Pattern(qualifier, "qualifier", QualifierRegex(), QualifierPattern);
        }

        var match = Parser().Match(functionName);
        if (!match.Success)
        {
            violations.Add(functionName, "functionName", $"Member must satisfy regular expression pattern: {NamePattern}");
        }

        if (violations.ToError() is { } error)
        {
            return error;
        }

        var arnRegion = match.Groups["region"];
        if (arnRegion.Success && arnRegion.Value != region)
        {
            return LambdaErrors.WrongRegion(arnRegion.Value, region);
        }

        var name = match.Groups["name"].Value;
        if (name.Length > 64)
        {
            return LambdaErrors.InvalidParameter(
                $"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64");
        }

        var derived = match.Groups["qualifier"].Success ? match.Groups["qualifier"].Value : null;
        if (derived is not null && qualifier is not null && derived != qualifier)
        {
            return LambdaErrors.QualifierMismatch();
        }

        var account = match.Groups["account"].Success ? match.Groups["account"].Value : callerAccount;
        var effective = derived ?? (string.IsNullOrEmpty(qualifier) ? null : qualifier);
        return new FunctionTarget(account, name, effective);
    }
}
