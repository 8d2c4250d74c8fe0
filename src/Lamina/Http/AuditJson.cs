using System.Text.Json;
using System.Xml;
using System.Xml.Linq;

namespace Lamina.Http;

/// <summary>
/// Copies request and response members into an audit record: names in CloudTrail's lower camel case (first
/// letter lowered, as CloudTrail spells <c>kMSKeyArn</c>), secrets and payloads replaced by
/// <see cref="Hidden"/>, map keys (environment variable names, tag keys) left as they are.
/// </summary>
/// <remarks>
/// Hidden: code (<c>ZipFile</c>), environment variable values, invoke and durable payloads and results,
/// secret keys and session tokens, passwords, presigned code URLs (<c>Location</c>: a bearer link to the
/// code). Policy documents are kept, as CloudTrail keeps them: they are configuration, not secrets, and
/// what an audit of permission changes needs.
/// </remarks>
internal static class AuditJson
{
    public const string Hidden = "HIDDEN_DUE_TO_SECURITY_REASONS";

    private static readonly HashSet<string> HiddenMembers = new(StringComparer.OrdinalIgnoreCase)
    {
        "ZipFile", "Payload", "InputPayload", "Result", "ErrorData", "StackTrace", "SecretAccessKey", "SessionToken", "Password", "NewPassword",
        "OldPassword", "PrivateKey", "Plaintext", "Location", "ClientContext",
    };

    /// <summary>Maps whose values are hidden but whose keys are kept.</summary>
    private static readonly HashSet<string> HiddenValueMaps = new(StringComparer.OrdinalIgnoreCase) { "Variables" };

    /// <summary>Maps whose keys are data, not member names, and keep their spelling.</summary>
    private static readonly HashSet<string> Maps = new(StringComparer.OrdinalIgnoreCase) { "Tags", "AdditionalVersionWeights" };

    private enum Names
    {
        CamelCase,
        Verbatim,
        VerbatimHidden,
    }

    public static string CamelCase(string name) =>
        name.Length > 0 && char.IsUpper(name[0]) ? string.Create(name.Length, name, static (span, n) =>
        {
            n.AsSpan().CopyTo(span);
            span[0] = char.ToLowerInvariant(span[0]);
        }) : name;

    public static bool IsHidden(string memberName) => HiddenMembers.Contains(memberName);

    /// <summary>
    /// Writes the members of the JSON object in <paramref name="json"/> into the object <paramref name="writer"/> is in,
    /// except names already in <paramref name="written"/>; top-level string members go into <paramref name="strings"/>
    /// (by their original names) unless hidden. False when <paramref name="json"/> is not a JSON object.
    /// </summary>
    public static bool CopyMembers(ReadOnlySpan<byte> json, Utf8JsonWriter writer, HashSet<string> written, Dictionary<string, string>? strings)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            // Validate first: a half-copied object would leave the record's JSON unbalanced.
            var probe = reader;
            probe.Skip();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var name = reader.GetString()!;
                reader.Read();
                if (!written.Add(CamelCase(name)))
                {
                    reader.Skip();
                    continue;
                }

                if (strings is not null && reader.TokenType == JsonTokenType.String && !IsHidden(name))
                {
                    strings[name] = reader.GetString()!;
                }

                WriteMember(ref reader, writer, name, Names.CamelCase);
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static void WriteMember(ref Utf8JsonReader reader, Utf8JsonWriter writer, string name, Names names)
    {
        writer.WritePropertyName(names == Names.CamelCase ? CamelCase(name) : name);
        if (names == Names.VerbatimHidden || (names == Names.CamelCase && HiddenMembers.Contains(name)))
        {
            reader.Skip();
            writer.WriteStringValue(Hidden);
            return;
        }

        var inner = names != Names.CamelCase ? Names.CamelCase
            : HiddenValueMaps.Contains(name) ? Names.VerbatimHidden
            : Maps.Contains(name) ? Names.Verbatim
            : Names.CamelCase;
        CopyValue(ref reader, writer, inner);
    }

    /// <summary>Copies the value at the reader; <paramref name="names"/> says how the member names of an object value are written.</summary>
    private static void CopyValue(ref Utf8JsonReader reader, Utf8JsonWriter writer, Names names)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                writer.WriteStartObject();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var name = reader.GetString()!;
                    reader.Read();
                    WriteMember(ref reader, writer, name, names);
                }

                writer.WriteEndObject();
                break;
            case JsonTokenType.StartArray:
                writer.WriteStartArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    CopyValue(ref reader, writer, names == Names.VerbatimHidden ? Names.CamelCase : names);
                }

                writer.WriteEndArray();
                break;
            case JsonTokenType.String:
                writer.WriteStringValue(reader.GetString());
                break;
            case JsonTokenType.Number:
                writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                break;
            case JsonTokenType.True or JsonTokenType.False:
                writer.WriteBooleanValue(reader.GetBoolean());
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    /// <summary>
    /// Writes query-protocol members (<c>Name.member.N.Field</c> flattened form) as nested JSON, as CloudTrail
    /// records IAM and STS parameters: lists for <c>member</c>, lower camel case names, secrets hidden.
    /// </summary>
    public static void WriteForm(IReadOnlyDictionary<string, string> form, Utf8JsonWriter writer, HashSet<string> written)
    {
        var root = new SortedDictionary<string, object>(StringComparer.Ordinal);
        foreach (var (key, value) in form)
        {
            if (key is "Action" or "Version" || key.StartsWith("X-Amz-", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var parts = key.Split('.');
            var node = root;
            for (var i = 0; i < parts.Length - 1; i++)
            {
                if (!node.TryGetValue(parts[i], out var child) || child is not SortedDictionary<string, object> next)
                {
                    next = new SortedDictionary<string, object>(MemberOrder.Instance);
                    node[parts[i]] = next;
                }

                node = next;
            }

            node[parts[^1]] = value;
        }

        foreach (var (name, value) in root)
        {
            if (written.Add(CamelCase(name)))
            {
                WriteFormValue(writer, name, value, hidden: false);
            }
        }
    }

    private static void WriteFormValue(Utf8JsonWriter writer, string? name, object value, bool hidden)
    {
        if (name is not null)
        {
            writer.WritePropertyName(CamelCase(name));
            hidden |= IsHidden(name);
        }

        if (hidden)
        {
            writer.WriteStringValue(Hidden);
        }
        else if (value is string text)
        {
            writer.WriteStringValue(text);
        }
        else if (value is SortedDictionary<string, object> { Count: 1 } children && children.TryGetValue("member", out var list)
                 && list is SortedDictionary<string, object> members)
        {
            writer.WriteStartArray();
            foreach (var (_, item) in members)
            {
                WriteFormValue(writer, null, item, hidden: false);
            }

            writer.WriteEndArray();
        }
        else if (value is SortedDictionary<string, object> fields)
        {
            writer.WriteStartObject();
            foreach (var (field, item) in fields)
            {
                WriteFormValue(writer, field, item, hidden: false);
            }

            writer.WriteEndObject();
        }
    }

    /// <summary>
    /// Writes the children of a query-protocol response's <c>{Action}Result</c> element as members of the object
    /// <paramref name="writer"/> is in: lists (<c>member</c>) as arrays, maps (<c>entry</c>/<c>key</c>/<c>value</c>)
    /// as objects, text as strings, secrets hidden.
    /// </summary>
    public static void WriteXmlMembers(ReadOnlySpan<byte> xml, string action, Utf8JsonWriter writer, HashSet<string> written)
    {
        XElement document;
        try
        {
            using var stream = new MemoryStream(xml.ToArray());
            document = XElement.Load(stream);
        }
        catch (XmlException)
        {
            return;
        }

        var result = document.Elements().FirstOrDefault(e => e.Name.LocalName == action + "Result");
        foreach (var child in result?.Elements() ?? [])
        {
            var name = CamelCase(child.Name.LocalName);
            if (written.Add(name))
            {
                writer.WritePropertyName(name);
                WriteXmlElement(writer, child, IsHidden(child.Name.LocalName));
            }
        }
    }

    private static void WriteXmlElement(Utf8JsonWriter writer, XElement element, bool hidden)
    {
        var children = element.Elements().ToList();
        if (hidden)
        {
            writer.WriteStringValue(Hidden);
        }
        else if (children.Count == 0)
        {
            writer.WriteStringValue(element.Value);
        }
        else if (children.All(c => c.Name.LocalName == "member"))
        {
            writer.WriteStartArray();
            foreach (var child in children)
            {
                WriteXmlElement(writer, child, hidden: false);
            }

            writer.WriteEndArray();
        }
        else if (children.All(c => c.Name.LocalName == "entry"))
        {
            writer.WriteStartObject();
            foreach (var entry in children)
            {
                writer.WritePropertyName(entry.Elements().FirstOrDefault(e => e.Name.LocalName == "key")?.Value ?? "");
                writer.WriteStringValue(entry.Elements().FirstOrDefault(e => e.Name.LocalName == "value")?.Value);
            }

            writer.WriteEndObject();
        }
        else
        {
            writer.WriteStartObject();
            foreach (var child in children)
            {
                writer.WritePropertyName(CamelCase(child.Name.LocalName));
                WriteXmlElement(writer, child, IsHidden(child.Name.LocalName));
            }

            writer.WriteEndObject();
        }
    }

    /// <summary>Orders query members so that <c>member.2</c> comes before <c>member.10</c>.</summary>
    private sealed class MemberOrder : IComparer<string>
    {
        public static readonly MemberOrder Instance = new();

        public int Compare(string? x, string? y) =>
            int.TryParse(x, out var a) && int.TryParse(y, out var b) ? a.CompareTo(b) : string.CompareOrdinal(x, y);
    }
}
