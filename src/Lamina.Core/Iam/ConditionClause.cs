using System.Globalization;
using System.Net;

namespace Lamina.Core.Iam;

/// <summary>
/// One condition test: <c>"Operator": {"Key": [values]}</c>, with <c>...IfExists</c> and
/// <c>ForAllValues:</c>/<c>ForAnyValue:</c> qualifiers. Semantics follow IAM's documentation: values OR,
/// negated operators NOR, a missing key makes the test false (true for negated operators and with
/// IfExists), ForAllValues is vacuously true for an empty set.
/// </summary>
internal sealed record ConditionClause(string Operator, string BaseOperator, string Key, IReadOnlyList<string> Values, bool IfExists, SetQualifier Set)
{
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
        "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
        "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
        "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
    };

    public static bool TryCreate(string op, string key, IReadOnlyList<string> values, out ConditionClause clause, out string? error)
    {
        var set = SetQualifier.None;
        var name = op;
        if (name.StartsWith("ForAllValues:", StringComparison.Ordinal))
        {
            set = SetQualifier.ForAllValues;
            name = name["ForAllValues:".Length..];
        }
        else if (name.StartsWith("ForAnyValue:", StringComparison.Ordinal))
        {
            set = SetQualifier.ForAnyValue;
            name = name["ForAnyValue:".Length..];
        }

        var ifExists = name.EndsWith("IfExists", StringComparison.Ordinal) && name != "Null";
        var baseName = ifExists ? name[..^"IfExists".Length] : name;
        if (!Known.Contains(baseName))
        {
            clause = null!;
            error = $"Invalid Condition type : {op}.";
            return false;
        }

        clause = new ConditionClause(op, baseName, key, values, ifExists, set);
        error = null;
        return true;
    }

    private bool Negated => BaseOperator is "StringNotEquals" or "StringNotEqualsIgnoreCase" or "StringNotLike" or "NumericNotEquals"
        or "DateNotEquals" or "NotIpAddress" or "ArnNotEquals" or "ArnNotLike";

    public bool Evaluate(RequestContext context)
    {
        var present = context.TryGet(Key, out var contextValues) && contextValues.Count > 0;
        if (BaseOperator == "Null")
        {
            var wantMissing = Values.Any(v => string.Equals(v, "true", StringComparison.OrdinalIgnoreCase));
            return wantMissing ? !present : present;
        }

        var values = Values.Select(v => context.Substitute(v)).ToList();
        if (!present)
        {
            if (Set == SetQualifier.ForAllValues)
            {
                return true;
            }

            return IfExists || (Negated && Set == SetQualifier.None);
        }

        return Set switch
        {
            SetQualifier.ForAllValues => contextValues.All(c => MatchesOne(c, values)),
            _ => Negated ? contextValues.All(c => MatchesOne(c, values)) : contextValues.Any(c => MatchesOne(c, values)),
        };
    }

    /// <summary>Whether one context value satisfies the operator against the policy's values (OR, or NOR when negated).</summary>
    private bool MatchesOne(string contextValue, List<string> policyValues)
    {
        var any = policyValues.Any(p => Positive(contextValue, p));
        return Negated ? !any : any;
    }

    private bool Positive(string actual, string expected) => BaseOperator switch
    {
        "StringEquals" or "StringNotEquals" => string.Equals(actual, expected, StringComparison.Ordinal),
        "StringEqualsIgnoreCase" or "StringNotEqualsIgnoreCase" => string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase),
        "StringLike" or "StringNotLike" => Wildcard.Match(expected, actual, ignoreCase: false),
        "NumericEquals" or "NumericNotEquals" => Compare(ParseNumber(actual), ParseNumber(expected)) is { } c && c == 0,
        "NumericLessThan" => Compare(ParseNumber(actual), ParseNumber(expected)) is { } c && c < 0,
        "NumericLessThanEquals" => Compare(ParseNumber(actual), ParseNumber(expected)) is { } c && c <= 0,
        "NumericGreaterThan" => Compare(ParseNumber(actual), ParseNumber(expected)) is { } c && c > 0,
        "NumericGreaterThanEquals" => Compare(ParseNumber(actual), ParseNumber(expected)) is { } c && c >= 0,
        "DateEquals" or "DateNotEquals" => Compare(ParseDate(actual), ParseDate(expected)) is { } c && c == 0,
        "DateLessThan" => Compare(ParseDate(actual), ParseDate(expected)) is { } c && c < 0,
        "DateLessThanEquals" => Compare(ParseDate(actual), ParseDate(expected)) is { } c && c <= 0,
        "DateGreaterThan" => Compare(ParseDate(actual), ParseDate(expected)) is { } c && c > 0,
        "DateGreaterThanEquals" => Compare(ParseDate(actual), ParseDate(expected)) is { } c && c >= 0,
        "Bool" => string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase),
        "BinaryEquals" => string.Equals(actual, expected, StringComparison.Ordinal),
        "IpAddress" or "NotIpAddress" => IpMatches(actual, expected),
        "ArnEquals" or "ArnLike" or "ArnNotEquals" or "ArnNotLike" => Wildcard.ArnMatch(expected, actual),
        _ => false,
    };

    /// <summary>Null when either side is malformed: an incomparable value never satisfies a comparison.</summary>
    private static int? Compare<T>(T? actual, T? expected)
        where T : struct, IComparable<T> =>
        actual is { } a && expected is { } e ? a.CompareTo(e) : null;

    private static decimal? ParseNumber(string value) =>
        decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;

    private static DateTimeOffset? ParseDate(string value)
    {
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d))
        {
            return d;
        }

        return long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var epoch) ? DateTimeOffset.FromUnixTimeSeconds(epoch) : null;
    }

    private static bool IpMatches(string actual, string cidr)
    {
        if (!IPAddress.TryParse(actual, out var address))
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return IPNetwork.TryParse(cidr.Contains('/', StringComparison.Ordinal) ? cidr : cidr + (cidr.Contains(':', StringComparison.Ordinal) ? "/128" : "/32"),
            out var network) && network.Contains(address);
    }
}

internal enum SetQualifier
{
    None,
    ForAllValues,
    ForAnyValue,
}
