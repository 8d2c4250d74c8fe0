using System.Globalization;
using System.Text;

namespace Lamina.Core.Errors;

/// <summary>
/// Collects model-constraint failures and renders them in AWS's template:
/// <c>N validation error(s) detected: Value 'v' at 'path' failed to satisfy constraint: ...; ...</c>.
/// </summary>
internal sealed class Violations
{
    private readonly List<string> _items = [];

    public bool Any => _items.Count > 0;

    public void Add(object? value, string path, string constraint) =>
        _items.Add($"Value {Quote(value)} at '{path}' failed to satisfy constraint: {constraint}");

    public void Length(string? value, string path, int min, int max)
    {
        if (value is null)
        {
            return;
        }

        if (value.Length > max)
        {
            Add(value, path, $"Member must have length less than or equal to {max}");
        }
        else if (value.Length < min)
        {
            Add(value, path, $"Member must have length greater than or equal to {min}");
        }
    }

    public void Range(long? value, string path, long min, long max)
    {
        if (value is null)
        {
            return;
        }

        if (value > max)
        {
            Add(value, path, $"Member must have value less than or equal to {max}");
        }
        else if (value < min)
        {
            Add(value, path, $"Member must have value greater than or equal to {min}");
        }
    }

    public void Enum(string? value, string path, IReadOnlyCollection<string> allowed)
    {
        if (value is not null && !allowed.Contains(value))
        {
            Add(value, path, $"Member must satisfy enum value set: [{string.Join(", ", allowed)}]");
        }
    }

    public void Pattern(string? value, string path, System.Text.RegularExpressions.Regex regex, string pattern)
    {
        if (value is not null && !regex.IsMatch(value))
        {
            Add(value, path, $"Member must satisfy regular expression pattern: {pattern}");
        }
    }

    public void Required(object? value, string path)
    {
        if (value is null)
        {
            Add(null, path, "Member must not be null");
        }
    }

    /// <summary>The error to return, or null when nothing failed.</summary>
    public AwsError? ToError(string code = "ValidationException")
    {
        if (_items.Count == 0)
        {
            return null;
        }

        var head = _items.Count == 1 ? "1 validation error detected: " : $"{_items.Count} validation errors detected: ";
        return new AwsError(400, code, head + string.Join("; ", _items));
    }

    /// <summary>AWS prints strings quoted, null bare, lists as '[a, b]' and maps as '{k=v}'.</summary>
    public static string Quote(object? value) => value switch
    {
        null => "null",
        string s => $"'{s}'",
        IDictionary<string, double> map => $"'{{{string.Join(", ", map.Select(kv => $"{kv.Key}={FormatDouble(kv.Value)}"))}}}'",
        IEnumerable<string> list => $"'[{string.Join(", ", list)}]'",
        IFormattable f => $"'{f.ToString(null, CultureInfo.InvariantCulture)}'",
        _ => $"'{value}'",
    };

    private static string FormatDouble(double d)
    {
        var s = d.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.', StringComparison.Ordinal) || s.Contains('E', StringComparison.Ordinal) ? s : s + ".0";
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var item in _items)
        {
            sb.AppendLine(item);
        }

        return sb.ToString();
    }
}
