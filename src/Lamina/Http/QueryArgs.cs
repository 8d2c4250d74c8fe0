using System.Globalization;
using Lamina.Core.Errors;
using Lamina.Core.Iam;

namespace Lamina.Http;

/// <summary>
/// Reads query-protocol members (<c>Name=value</c>, lists as <c>Name.member.N</c>, structures as
/// <c>Name.member.N.Field</c>) and checks them against the model, collecting every violation into one
/// <c>ValidationError</c> worded as AWS words it, with member paths in lower camel case.
/// </summary>
internal sealed class QueryArgs(IReadOnlyDictionary<string, string> values)
{
    private readonly Violations _violations = new();

    /// <summary>The ValidationError for everything that failed so far, or null.</summary>
    public AwsError? Error => _violations.ToError("ValidationError");

    public string? Raw(string name) => values.TryGetValue(name, out var value) ? value : null;

    public string? Optional(string name, StringRule rule) => Check(Raw(name), PathOf(name), rule);

    public string Required(string name, StringRule rule)
    {
        var value = Raw(name);
        if (value is null)
        {
            _violations.Required(null, PathOf(name));
            return "";
        }

        return Check(value, PathOf(name), rule) ?? "";
    }

    public int? Int(string name, long min, long max)
    {
        if (Raw(name) is not { } raw)
        {
            return null;
        }

        if (!int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            _violations.Add(raw, PathOf(name), "Member must be an integer");
            return null;
        }

        _violations.Range(value, PathOf(name), min, max);
        return value;
    }

    public bool? Bool(string name)
    {
        switch (Raw(name))
        {
            case null:
                return null;
            case var raw when bool.TryParse(raw, out var value):
                return value;
            case var raw:
                _violations.Add(raw, PathOf(name), "Member must be a boolean");
                return null;
        }
    }

    public string? Enum(string name, IReadOnlyCollection<string> allowed, bool required = false)
    {
        var value = Raw(name);
        if (value is null && required)
        {
            _violations.Required(null, PathOf(name));
        }

        _violations.Enum(value, PathOf(name), allowed);
        return value;
    }

    /// <summary>A list of strings, <c>Name.member.1</c>, <c>Name.member.2</c>, ... in order.</summary>
    public IReadOnlyList<string> List(string name, StringRule rule, bool required = false) =>
        Structures(name, required).Select((prefix, i) => Check(Raw(prefix), $"{PathOf(name)}.{i + 1}.member", rule) ?? "").ToList();

    /// <summary>A list of structures with one string member, e.g. STS <c>PolicyArns.member.N.arn</c>.</summary>
    public IReadOnlyList<string> StructureField(string name, string field, StringRule rule) =>
        Structures(name, required: false).Select((prefix, i) =>
        {
            var value = Raw($"{prefix}.{field}");
            var path = $"{PathOf(name)}.{i + 1}.member.{PathOf(field)}";
            if (value is null)
            {
                _violations.Required(null, path);
                return "";
            }

            return Check(value, path, rule) ?? "";
        }).ToList();

    /// <summary>
    /// <c>Tags.member.N.Key/Value</c> into a map; keys compare case-insensitively as in IAM, and a repeated key is InvalidInput.
    /// </summary>
    public Outcome<IReadOnlyDictionary<string, string>> Tags(string name = "Tags", bool required = false)
    {
        var tags = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var duplicate = false;
        var prefixes = Structures(name, required);
        if (prefixes.Count > IamConstraints.TagsPerEntity)
        {
            _violations.Add(null, PathOf(name), $"Member must have length less than or equal to {IamConstraints.TagsPerEntity}");
        }

        for (var i = 0; i < prefixes.Count; i++)
        {
            var path = $"{PathOf(name)}.{i + 1}.member";
            var key = Raw($"{prefixes[i]}.Key");
            var value = Raw($"{prefixes[i]}.Value");
            if (key is null)
            {
                _violations.Required(null, $"{path}.key");
            }

            if (value is null)
            {
                _violations.Required(null, $"{path}.value");
            }

            key = Check(key, $"{path}.key", IamConstraints.TagKey);
            value = Check(value, $"{path}.value", IamConstraints.TagValue);
            if (key is not null && value is not null)
            {
                duplicate |= !tags.TryAdd(key, value);
            }
        }

        return duplicate
            ? IamErrors.InvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
            : new Dictionary<string, string>(tags, StringComparer.Ordinal);
    }

    /// <summary>Marker and MaxItems of IAM's list operations.</summary>
    public (string? Marker, int? MaxItems) Paging() => (Optional("Marker", IamConstraints.Marker), Int("MaxItems", 1, 1000));

    /// <summary>The prefixes <c>Name.member.1</c> .. <c>Name.member.N</c> present without a gap (an empty list is sent as <c>Name=</c>).</summary>
    private List<string> Structures(string name, bool required)
    {
        var prefixes = new List<string>();
        for (var i = 1; ; i++)
        {
            var prefix = $"{name}.member.{i}";
            if (!values.ContainsKey(prefix) && !values.Keys.Any(k => k.StartsWith(prefix + ".", StringComparison.Ordinal)))
            {
                break;
            }

            prefixes.Add(prefix);
        }

        if (required && prefixes.Count == 0 && !values.ContainsKey(name))
        {
            _violations.Required(null, PathOf(name));
        }

        return prefixes;
    }

    private string? Check(string? value, string path, StringRule rule)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length < rule.Min || value.Length > rule.Max)
        {
            _violations.Length(value, path, rule.Min, rule.Max);
        }
        else if (rule.Regex is not null)
        {
            _violations.Pattern(value, path, rule.Regex, rule.Pattern!);
        }

        return value;
    }

    /// <summary>AWS reports query members in lower camel case: <c>UserName</c> is <c>userName</c>.</summary>
    private static string PathOf(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];
}
