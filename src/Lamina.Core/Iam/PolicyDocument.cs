using System.Text.Json;

namespace Lamina.Core.Iam;

/// <summary>A parsed IAM policy document (identity, resource, trust or session policy).</summary>
internal sealed record PolicyDocument(string? Version, IReadOnlyList<PolicyStatement> Statements)
{
    /// <summary>IAM's limit on an inline or managed policy document: 6,144 characters (roles: 10,240 inline).</summary>
    public const int MaxManagedLength = 6144;

    public static bool TryParse(string json, out PolicyDocument document, out string? error)
    {
        document = null!;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "Syntax errors in policy.";
                return false;
            }

            string? version = null;
            if (root.TryGetProperty("Version", out var v))
            {
                version = v.GetString();
                if (version is not ("2012-10-17" or "2008-10-17"))
                {
                    error = "The policy failed legacy parsing";
                    return false;
                }
            }

            if (!root.TryGetProperty("Statement", out var statementsElement))
            {
                error = "Missing required field Statement";
                return false;
            }

            var statements = new List<PolicyStatement>();
            IEnumerable<JsonElement> elements = statementsElement.ValueKind == JsonValueKind.Array ? statementsElement.EnumerateArray() : [statementsElement];
            foreach (var element in elements)
            {
                if (!PolicyStatement.TryParse(element, out var statement, out error))
                {
                    return false;
                }

                statements.Add(statement);
            }

            document = new PolicyDocument(version, statements);
            error = null;
            return true;
        }
        catch (JsonException)
        {
            error = "Syntax errors in policy.";
            return false;
        }
    }

    public static PolicyDocument Parse(string json) =>
        TryParse(json, out var document, out var error) ? document : throw new FormatException($"Invalid policy document: {error}");
}

internal enum Effect
{
    Allow,
    Deny,
}

/// <summary>One statement: effect, actions, resources, principals and conditions.</summary>
internal sealed record PolicyStatement
{
    public string? Sid { get; init; }
    public required Effect Effect { get; init; }
    public IReadOnlyList<string>? Action { get; init; }
    public IReadOnlyList<string>? NotAction { get; init; }
    public IReadOnlyList<string>? Resource { get; init; }
    public IReadOnlyList<string>? NotResource { get; init; }
    public PrincipalSet? Principal { get; init; }
    public PrincipalSet? NotPrincipal { get; init; }
    public IReadOnlyList<ConditionClause> Conditions { get; init; } = [];

    public static bool TryParse(JsonElement element, out PolicyStatement statement, out string? error)
    {
        statement = null!;
        if (element.ValueKind != JsonValueKind.Object)
        {
            error = "Syntax errors in policy.";
            return false;
        }

        if (!element.TryGetProperty("Effect", out var effectElement) || effectElement.GetString() is not ("Allow" or "Deny"))
        {
            error = "Missing required field Effect";
            return false;
        }

        var action = Strings(element, "Action");
        var notAction = Strings(element, "NotAction");
        if (action is null && notAction is null)
        {
            error = "Policy statement must contain actions.";
            return false;
        }

        PrincipalSet? principal = null, notPrincipal = null;
        if (element.TryGetProperty("Principal", out var p) && !PrincipalSet.TryParse(p, out principal, out error))
        {
            return false;
        }

        if (element.TryGetProperty("NotPrincipal", out var np) && !PrincipalSet.TryParse(np, out notPrincipal, out error))
        {
            return false;
        }

        var conditions = new List<ConditionClause>();
        if (element.TryGetProperty("Condition", out var conditionElement))
        {
            if (conditionElement.ValueKind != JsonValueKind.Object)
            {
                error = "Syntax errors in policy.";
                return false;
            }

            foreach (var op in conditionElement.EnumerateObject())
            {
                if (op.Value.ValueKind != JsonValueKind.Object)
                {
                    error = "Syntax errors in policy.";
                    return false;
                }

                foreach (var key in op.Value.EnumerateObject())
                {
                    var values = key.Value.ValueKind == JsonValueKind.Array
                        ? key.Value.EnumerateArray().Select(ValueText).ToList()
                        : [ValueText(key.Value)];
                    if (!ConditionClause.TryCreate(op.Name, key.Name, values, out var clause, out error))
                    {
                        return false;
                    }

                    conditions.Add(clause);
                }
            }
        }

        statement = new PolicyStatement
        {
            Sid = element.TryGetProperty("Sid", out var sid) ? sid.GetString() : null,
            Effect = effectElement.GetString() == "Allow" ? Effect.Allow : Effect.Deny,
            Action = action,
            NotAction = notAction,
            Resource = Strings(element, "Resource"),
            NotResource = Strings(element, "NotResource"),
            Principal = principal,
            NotPrincipal = notPrincipal,
            Conditions = conditions,
        };
        error = null;
        return true;
    }

    private static string ValueText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => value.GetRawText(),
    };

    internal static IReadOnlyList<string>? Strings(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().Select(ValueText).ToList() : [ValueText(value)];
    }
}

/// <summary>A <c>Principal</c> element: <c>"*"</c>, or AWS / Service / Federated / CanonicalUser lists.</summary>
internal sealed record PrincipalSet(bool Anyone, IReadOnlyList<string> Aws, IReadOnlyList<string> Service, IReadOnlyList<string> Federated)
{
    public static bool TryParse(JsonElement element, out PrincipalSet? principals, out string? error)
    {
        error = null;
        if (element.ValueKind == JsonValueKind.String && element.GetString() == "*")
        {
            principals = new PrincipalSet(true, [], [], []);
            return true;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            principals = null;
            error = "Invalid principal in policy";
            return false;
        }

        var aws = PolicyStatement.Strings(element, "AWS") ?? [];
        principals = new PrincipalSet(aws.Contains("*"), aws, PolicyStatement.Strings(element, "Service") ?? [],
            PolicyStatement.Strings(element, "Federated") ?? []);
        return true;
    }
}
