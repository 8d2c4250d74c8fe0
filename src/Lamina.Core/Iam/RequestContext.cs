using System.Text;

namespace Lamina.Core.Iam;

/// <summary>
/// The request context a policy is evaluated against: condition keys (case-insensitive names) and
/// policy variables such as <c>${aws:username}</c>.
/// </summary>
internal sealed class RequestContext
{
    private readonly Dictionary<string, IReadOnlyList<string>> _keys = new(StringComparer.OrdinalIgnoreCase);

    public RequestContext Set(string key, string? value)
    {
        if (value is not null)
        {
            _keys[key] = [value];
        }

        return this;
    }

    public RequestContext Set(string key, IReadOnlyList<string> values)
    {
        _keys[key] = values;
        return this;
    }

    public bool TryGet(string key, out IReadOnlyList<string> values) => _keys.TryGetValue(key, out values!);

    /// <summary>Replaces <c>${key}</c> variables with context values (a missing key leaves the text unmatched).</summary>
    public string Substitute(string text)
    {
        if (!text.Contains("${", StringComparison.Ordinal))
        {
            return text;
        }

        var sb = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            var start = text.IndexOf("${", i, StringComparison.Ordinal);
            if (start < 0)
            {
                sb.Append(text, i, text.Length - i);
                break;
            }

            var end = text.IndexOf('}', start);
            if (end < 0)
            {
                sb.Append(text, i, text.Length - i);
                break;
            }

            sb.Append(text, i, start - i);
            var name = text[(start + 2)..end];
            sb.Append(name switch
            {
                "*" => "*",
                "?" => "?",
                "$" => "$",
                _ => _keys.TryGetValue(name, out var v) && v.Count == 1 ? v[0] : "\u0000unresolved\u0000",
            });
            i = end + 1;
        }

        return sb.ToString();
    }
}
