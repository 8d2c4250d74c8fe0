using System.Globalization;
using System.Text;

namespace Lamina.Lambda.Shared;

/// <summary>
/// Message templates as the level overloads of ILambdaLogger take them: each <c>{name}</c> or <c>{name:format}</c>
/// hole takes the next argument in order; <c>{{</c> and <c>}}</c> are literal braces.
/// </summary>
internal static class MessageTemplate
{
    public static string Format(string? template, object?[]? args)
    {
        if (template is null)
        {
            return "";
        }

        if (args is null || args.Length == 0)
        {
            return template;
        }

        var builder = new StringBuilder(template.Length + 32);
        var next = 0;
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if (c == '{' && i + 1 < template.Length && template[i + 1] == '{')
            {
                builder.Append('{');
                i++;
            }
            else if (c == '}' && i + 1 < template.Length && template[i + 1] == '}')
            {
                builder.Append('}');
                i++;
            }
            else if (c == '{' && template.IndexOf('}', i + 1) is var close && close > i && next < args.Length)
            {
                var (_, format) = Hole(template, i, close);
                builder.Append(Render(args[next++], format));
                i = close;
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>The named holes of <paramref name="template"/> paired with their arguments (for JSON log records).</summary>
    public static List<KeyValuePair<string, object?>> Properties(string? template, object?[]? args)
    {
        var properties = new List<KeyValuePair<string, object?>>();
        if (template is null || args is null || args.Length == 0)
        {
            return properties;
        }

        var next = 0;
        for (var i = 0; i < template.Length && next < args.Length; i++)
        {
            if (template[i] != '{')
            {
                continue;
            }

            if (i + 1 < template.Length && template[i + 1] == '{')
            {
                i++;
                continue;
            }

            var close = template.IndexOf('}', i + 1);
            if (close < 0)
            {
                break;
            }

            var (name, _) = Hole(template, i, close);
            properties.Add(new(name, args[next++]));
            i = close;
        }

        return properties;
    }

    private static (string Name, string? Format) Hole(string template, int open, int close)
    {
        var hole = template.Substring(open + 1, close - open - 1);
        var colon = hole.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? hole : hole[..colon];
        return (name.TrimStart('@', '$'), colon < 0 ? null : hole[(colon + 1)..]);
    }

    private static string? Render(object? value, string? format) => value switch
    {
        null => "",
        IFormattable formattable => formattable.ToString(format, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
