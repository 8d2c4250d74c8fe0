namespace Lamina.Core.Iam;

/// <summary>IAM's glob matching: <c>*</c> any run of characters, <c>?</c> exactly one.</summary>
internal static class Wildcard
{
    public static bool Match(string pattern, string value, bool ignoreCase)
    {
        // Iterative glob with backtracking to the last '*': linear in practice, no regex compilation per call.
        int p = 0, v = 0, star = -1, mark = 0;
        while (v < value.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || Same(pattern[p], value[v], ignoreCase)))
            {
                p++;
                v++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = v;
            }
            else if (star >= 0)
            {
                p = star + 1;
                v = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    private static bool Same(char a, char b, bool ignoreCase) => a == b || (ignoreCase && char.ToUpperInvariant(a) == char.ToUpperInvariant(b));

    /// <summary>Actions match case-insensitively (<c>lambda:get*</c> covers <c>lambda:GetFunction</c>).</summary>
    public static bool Action(string pattern, string action) => Match(pattern, action, ignoreCase: true);

    /// <summary>ARNs compare component by component (partition, service, region, account, resource), each with wildcards.</summary>
    public static bool ArnMatch(string pattern, string arn)
    {
        if (pattern == "*")
        {
            return true;
        }

        var p = pattern.Split(':', 6);
        var a = arn.Split(':', 6);
        if (p.Length != 6 || a.Length != 6)
        {
            return Match(pattern, arn, ignoreCase: false);
        }

        for (var i = 0; i < 6; i++)
        {
            if (!Match(p[i], a[i], ignoreCase: false))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Resource elements match the whole ARN string with wildcards (case-sensitive).</summary>
    public static bool Resource(string pattern, string resource) => Match(pattern, resource, ignoreCase: false);
}
