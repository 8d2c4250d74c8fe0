using System.Globalization;
using System.Text;
using System.Xml;

namespace Lamina.Http;

/// <summary>
/// Writes the body of a query-protocol result: elements in the service's namespace, timestamps as
/// ISO 8601 UTC, booleans as <c>true</c>/<c>false</c>, lists as <c>member</c> elements, maps as
/// <c>entry</c>/<c>key</c>/<c>value</c> (botocore's QueryParser reads exactly these).
/// </summary>
internal sealed class QueryXml(XmlWriter writer, string ns)
{
    public void Start(string name) => writer.WriteStartElement(name, ns);

    public void End() => writer.WriteEndElement();

    /// <summary>An element with text; nothing at all for null, as AWS omits absent members.</summary>
    public void Value(string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteElementString(name, ns, value);
        }
    }

    public void Value(string name, int? value) => Value(name, value?.ToString(CultureInfo.InvariantCulture));

    public void Value(string name, bool value) => Value(name, value ? "true" : "false");

    public void Value(string name, DateTimeOffset? value) =>
        Value(name, value?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));

    /// <summary>IAM returns policy documents URL-encoded (botocore's json_decode_policies undoes it).</summary>
    public void Document(string name, string? json) => Value(name, json is null ? null : Uri.EscapeDataString(json));

    public void Members(string name, IEnumerable<string> items)
    {
        Start(name);
        foreach (var item in items)
        {
            Value("member", item);
        }

        End();
    }

    /// <summary>A list of structures: <c>&lt;name&gt;&lt;member&gt;...&lt;/member&gt;&lt;/name&gt;</c>.</summary>
    public void Members<T>(string name, IEnumerable<T> items, Action<QueryXml, T> write)
    {
        Start(name);
        foreach (var item in items)
        {
            Start("member");
            write(this, item);
            End();
        }

        End();
    }

    /// <summary>Tags as IAM lists them: Key/Value structures.</summary>
    public void Tags(string name, IReadOnlyDictionary<string, string> tags) =>
        Members(name, tags.OrderBy(t => t.Key, StringComparer.Ordinal), (xml, tag) =>
        {
            xml.Value("Key", tag.Key);
            xml.Value("Value", tag.Value);
        });

    public void Map(string name, IEnumerable<KeyValuePair<string, string>> entries)
    {
        Start(name);
        foreach (var (key, value) in entries)
        {
            Start("entry");
            Value("key", key);
            Value("value", value);
            End();
        }

        End();
    }
}

/// <summary>
/// A successful query-protocol answer: <c>&lt;{Action}Response xmlns=...&gt;&lt;{Action}Result&gt;...&lt;/{Action}Result&gt;
/// &lt;ResponseMetadata&gt;&lt;RequestId&gt;...&lt;/RequestId&gt;&lt;/ResponseMetadata&gt;&lt;/{Action}Response&gt;</c>;
/// operations without output have no Result element.
/// </summary>
internal sealed class XmlResult(Action<QueryXml>? result) : ApiResult
{
    private static readonly XmlWriterSettings Settings = new()
    {
        Encoding = new UTF8Encoding(false),
        OmitXmlDeclaration = true,
        Indent = false,
    };

    private byte[]? _rendered;

    public override int StatusCode => 200;

    public override void WriteAuditResponse(ApiCall call, System.Text.Json.Utf8JsonWriter writer, HashSet<string> written) =>
        AuditJson.WriteXmlMembers(Render(call), call.Operation.Name, writer, written);

    protected override async Task WriteBodyAsync(ApiCall call)
    {
        var body = Render(call);
        var response = call.Http.Response;
        response.StatusCode = 200;
        response.ContentType = "text/xml";
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body);
    }

    /// <summary>The XML body, built once: the audit record's responseElements are read from the same bytes.</summary>
    private byte[] Render(ApiCall call)
    {
        if (_rendered is not null)
        {
            return _rendered;
        }

        var action = call.Operation.Name;
        var ns = call.Operation.XmlNamespace;
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, Settings))
        {
            var xml = new QueryXml(writer, ns);
            writer.WriteStartElement(action + "Response", ns);
            if (result is not null)
            {
                xml.Start(action + "Result");
                result(xml);
                xml.End();
            }

            xml.Start("ResponseMetadata");
            xml.Value("RequestId", call.RequestId);
            xml.End();
            writer.WriteEndElement();
        }

        return _rendered = buffer.ToArray();
    }
}
