using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lamina.Core.Accounts;
using Lamina.Core.Audit;
using Lamina.Core.Auth;
using Lamina.Core.Functions;

namespace Lamina.Http;

/// <summary>
/// Builds the CloudTrail record of one API call (eventVersion 1.09): who (userIdentity), what (eventName,
/// requestParameters, responseElements, errorCode), where from, and for which accounts.
/// </summary>
/// <remarks>
/// One record per receiving account: the caller's, plus the owner of each resource the call was authorized
/// to use in another account (<see cref="AuditScope.Recipient"/>); the copies share <c>sharedEventID</c>.
/// Read-only calls record no responseElements (STS's excepted), as CloudTrail does. Parameters over
/// <see cref="MaxParametersBytes"/> are replaced by a note of their size, so a huge junk body cannot bloat the trail.
/// </remarks>
internal static class AuditRecordBuilder
{
    public const string EventVersion = "1.09";

    /// <summary>Larger redacted requestParameters or responseElements are dropped (100 KB, CloudTrail's record-size territory).</summary>
    public const int MaxParametersBytes = 100 * 1024;

    private static readonly JsonWriterOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IReadOnlyList<AuditEvent> Build(ApiCall call, string region)
    {
        var operation = call.Operation;
        var caller = call.Caller;
        var scope = call.Audit;
        var (request, strings) = RequestParameters(call);
        var error = call.Result?.Error;
        var response = error is null ? ResponseElements(call) : null;
        var resources = Resources(call, strings, region);
        var recipients = new List<string> { caller.AccountId };
        recipients.AddRange(scope.Recipients.Where(a => a != caller.AccountId).Order(StringComparer.Ordinal));
        var shared = recipients.Count > 1 ? Guid.NewGuid().ToString() : null;
        var username = Username(caller);
        var events = new List<AuditEvent>(recipients.Count);
        foreach (var account in recipients)
        {
            var eventId = events.Count == 0 ? scope.EventId : Guid.CreateVersion7().ToString();
            events.Add(new AuditEvent
            {
                AccountId = account,
                EventId = eventId,
                EventTime = scope.EventTime,
                EventName = operation.Name,
                EventSource = operation.EventSource,
                Username = username,
                AccessKeyId = caller.AccessKeyId,
                ReadOnly = operation.ReadOnly,
                Category = operation.Audit,
                Resources = resources,
                Record = Record(call, region, account, eventId, shared, request, response, error is null ? null : ErrorCode(operation, error.Code),
                    error?.Message, resources),
            });
        }

        return events;
    }

    private static string Record(ApiCall call, string region, string account, string eventId, string? sharedEventId, byte[]? request, byte[]? response,
        string? errorCode, string? errorMessage, IReadOnlyList<AuditResource> resources)
    {
        var operation = call.Operation;
        var scope = call.Audit;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Relaxed))
        {
            json.WriteStartObject();
            json.WriteString("eventVersion", EventVersion);
            json.WritePropertyName("userIdentity");
            WriteUserIdentity(json, call.Caller);
            json.WriteString("eventTime", AuditFiles.TimeText(scope.EventTime));
            json.WriteString("eventSource", operation.EventSource);
            json.WriteString("eventName", operation.Name);
            json.WriteString("awsRegion", region);
            json.WriteString("sourceIPAddress", SourceIp(call.Http.Connection.RemoteIpAddress));
            var agent = call.Header("user-agent");
            json.WriteString("userAgent", agent is { Length: > 1024 } ? agent[..1024] : agent ?? "");
            if (errorCode is not null)
            {
                json.WriteString("errorCode", errorCode);
                json.WriteString("errorMessage", errorMessage);
            }

            WriteRaw(json, "requestParameters", request);
            WriteRaw(json, "responseElements", response);
            if (scope.AdditionalEventData.Count > 0)
            {
                json.WritePropertyName("additionalEventData");
                scope.AdditionalEventData.WriteTo(json);
            }

            json.WriteString("requestID", call.Http.Response.Headers["x-amzn-RequestId"].ToString() is { Length: > 0 } id ? id : call.RequestId);
            json.WriteString("eventID", eventId);
            json.WriteBoolean("readOnly", operation.ReadOnly);
            var withArns = resources.Where(r => r.Arn is not null).ToList();
            if (withArns.Count > 0)
            {
                json.WriteStartArray("resources");
                foreach (var resource in withArns)
                {
                    json.WriteStartObject();
                    json.WriteString("accountId", AccountOf(resource.Arn!) ?? call.Caller.AccountId);
                    json.WriteString("type", resource.Type);
                    json.WriteString("ARN", resource.Arn);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            json.WriteString("eventType", "AwsApiCall");
            json.WriteBoolean("managementEvent", operation.Audit == AuditCategory.Management);
            json.WriteString("recipientAccountId", account);
            if (sharedEventId is not null)
            {
                json.WriteString("sharedEventID", sharedEventId);
            }

            json.WriteString("eventCategory", operation.Audit.ToString());
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteRaw(Utf8JsonWriter json, string name, byte[]? value)
    {
        json.WritePropertyName(name);
        if (value is null)
        {
            json.WriteNullValue();
        }
        else
        {
            json.WriteRawValue(value, skipInputValidation: true);
        }
    }

    /// <summary>Route values, query parameters and (unless the operation says otherwise) body members, redacted; handler additions win.</summary>
    private static (byte[]? Json, Dictionary<string, string> Strings) RequestParameters(ApiCall call)
    {
        var strings = new Dictionary<string, string>(StringComparer.Ordinal);
        var written = new HashSet<string>(StringComparer.Ordinal);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Relaxed))
        {
            json.WriteStartObject();
            WriteAdded(json, call.Audit.RequestParameters, written);
            var operation = call.Operation;
            switch (operation.Protocol)
            {
                case ApiProtocol.Query:
                    foreach (var (name, value) in call.Form.Where(f => !f.Key.Contains('.', StringComparison.Ordinal)))
                    {
                        strings[name] = value;
                    }

                    AuditJson.WriteForm(call.Form, json, written);
                    break;
                case ApiProtocol.Json11:
                    if (operation.AuditBody)
                    {
                        AuditJson.CopyMembers(call.Body, json, written, strings);
                    }

                    break;
                default:
                    foreach (var (name, value) in call.Http.Request.RouteValues)
                    {
                        if (value is string text)
                        {
                            strings[name] = text;
                            WriteString(json, written, name, text);
                        }
                    }

                    foreach (var (name, values) in call.Http.Request.Query)
                    {
                        if (!name.StartsWith("X-Amz-", StringComparison.OrdinalIgnoreCase))
                        {
                            strings.TryAdd(name, values.ToString());
                            WriteString(json, written, name, values.ToString());
                        }
                    }

                    if (operation.AuditBody && call.Body.Length > 0)
                    {
                        AuditJson.CopyMembers(call.Body, json, written, strings);
                    }

                    break;
            }

            json.WriteEndObject();
        }

        return (written.Count == 0 ? null : Capped(buffer), strings);
    }

    /// <summary>Members a handler added (<see cref="AuditScope"/>); they come first and win over derived ones of the same name.</summary>
    private static void WriteAdded(Utf8JsonWriter json, JsonObject added, HashSet<string> written)
    {
        foreach (var (name, value) in added)
        {
            written.Add(name);
            json.WritePropertyName(name);
            if (value is null)
            {
                json.WriteNullValue();
            }
            else
            {
                value.WriteTo(json);
            }
        }
    }

    private static void WriteString(Utf8JsonWriter json, HashSet<string> written, string name, string value)
    {
        var member = AuditJson.CamelCase(name);
        if (written.Add(member))
        {
            json.WriteString(member, AuditJson.IsHidden(name) ? AuditJson.Hidden : value);
        }
    }

    /// <summary>The redacted response of a successful call (<see cref="ApiOperation.AuditResponse"/>), plus handler additions.</summary>
    private static byte[]? ResponseElements(ApiCall call)
    {
        var operation = call.Operation;
        var extra = call.Audit.ResponseElements;
        var whole = operation.AuditResponse && call.Result is not null;
        if (!whole && extra.Count == 0)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var written = new HashSet<string>(StringComparer.Ordinal);
        using (var json = new Utf8JsonWriter(buffer, Relaxed))
        {
            json.WriteStartObject();
            WriteAdded(json, extra, written);
            if (whole)
            {
                call.Result!.WriteAuditResponse(call, json, written);
            }

            json.WriteEndObject();
        }

        return written.Count == 0 ? null : Capped(buffer);
    }

    private static byte[] Capped(MemoryStream buffer) =>
        buffer.Length <= MaxParametersBytes
            ? buffer.ToArray()
            : System.Text.Encoding.UTF8.GetBytes($"{{\"omitted\":true,\"originalSize\":{buffer.Length}}}");

    /// <summary>The resources a call names: its function, layer, IAM entity, plus what the handler added.</summary>
    private static List<AuditResource> Resources(ApiCall call, Dictionary<string, string> strings, string region)
    {
        var resources = new List<AuditResource>();
        var account = call.Caller.AccountId;
        if (strings.TryGetValue("FunctionName", out var functionName)
            && FunctionTarget.Parse(functionName, null, account, region).TryGetValue(out var target, out _))
        {
            resources.Add(new AuditResource("AWS::Lambda::Function", target.Name, target.Arn(region)));
        }

        if (strings.TryGetValue("Resource", out var arn) && arn.Contains(":function:", StringComparison.Ordinal)
            && FunctionTarget.Parse(arn, null, account, region).TryGetValue(out var tagged, out _))
        {
            resources.Add(new AuditResource("AWS::Lambda::Function", tagged.Name, tagged.Arn(region)));
        }

        if (strings.TryGetValue("LayerName", out var layer))
        {
            var parts = layer.Split(':');
            var (layerAccount, layerName) = parts.Length >= 7 ? (parts[4], parts[6]) : (account, layer);
            resources.Add(strings.TryGetValue("VersionNumber", out var version) && long.TryParse(version, out var number)
                ? new AuditResource("AWS::Lambda::LayerVersion", layerName, Arns.LayerVersion(region, layerAccount, layerName, number))
                : new AuditResource("AWS::Lambda::LayerVersion", layerName, Arns.Layer(region, layerAccount, layerName)));
        }

        if (call.Operation.Service is "iam" or "sts")
        {
            AddIam(resources, strings, "UserName", "AWS::IAM::User");
            AddIam(resources, strings, "RoleName", "AWS::IAM::Role");
            AddIam(resources, strings, "AccessKeyId", "AWS::IAM::AccessKey");
            if (strings.TryGetValue("PolicyArn", out var policyArn))
            {
                resources.Add(new AuditResource("AWS::IAM::Policy", policyArn[(policyArn.LastIndexOf('/') + 1)..], policyArn));
            }

            if (strings.TryGetValue("RoleArn", out var roleArn))
            {
                resources.Add(new AuditResource("AWS::IAM::Role", roleArn[(roleArn.LastIndexOf('/') + 1)..], roleArn));
            }
        }

        foreach (var added in call.Audit.Resources)
        {
            if (!resources.Any(r => r.Type == added.Type && r.Name == added.Name))
            {
                resources.Add(added);
            }
        }

        return resources;
    }

    private static void AddIam(List<AuditResource> resources, Dictionary<string, string> strings, string parameter, string type)
    {
        if (strings.TryGetValue(parameter, out var name))
        {
            resources.Add(new AuditResource(type, name));
        }
    }

    private static string? AccountOf(string arn)
    {
        var parts = arn.Split(':');
        return parts.Length > 4 && parts[4].Length > 0 ? parts[4] : null;
    }

    /// <summary>CloudTrail's userIdentity for a root user, an IAM user, or a role session (with its issuer).</summary>
    private static void WriteUserIdentity(Utf8JsonWriter json, CallerIdentity caller)
    {
        json.WriteStartObject();
        json.WriteString("type", caller.Kind switch
        {
            PrincipalKind.Root => "Root",
            PrincipalKind.User => "IAMUser",
            PrincipalKind.AssumedRole => "AssumedRole",
            _ => "AWSService",
        });
        json.WriteString("principalId", caller.PrincipalId);
        json.WriteString("arn", caller.Arn);
        json.WriteString("accountId", caller.AccountId);
        json.WriteString("accessKeyId", caller.AccessKeyId);
        if (caller.Kind == PrincipalKind.User)
        {
            json.WriteString("userName", caller.Arn[(caller.Arn.LastIndexOf('/') + 1)..]);
        }

        if (caller.SessionData is not null)
        {
            var session = JsonSerializer.Deserialize(caller.SessionData, SessionJson.Default.SessionInfo);
            json.WriteStartObject("sessionContext");
            if (caller.Kind == PrincipalKind.AssumedRole && session?.RoleArn is { } roleArn)
            {
                json.WriteStartObject("sessionIssuer");
                json.WriteString("type", "Role");
                json.WriteString("principalId", caller.PrincipalId.Split(':')[0]);
                json.WriteString("arn", roleArn);
                json.WriteString("accountId", AccountOf(roleArn) ?? caller.AccountId);
                json.WriteString("userName", roleArn[(roleArn.LastIndexOf('/') + 1)..]);
                json.WriteEndObject();
            }

            json.WriteStartObject("attributes");
            if (caller.SessionCreatedAt is { } created)
            {
                json.WriteString("creationDate", AuditFiles.TimeText(created));
            }

            json.WriteString("mfaAuthenticated", "false");
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    /// <summary>LookupEvents' Username: <c>root</c>, the IAM user name, or the role session name.</summary>
    private static string Username(CallerIdentity caller) => caller.Kind switch
    {
        PrincipalKind.Root => "root",
        _ => caller.Arn[(caller.Arn.LastIndexOf('/') + 1)..],
    };

    /// <summary>Query-protocol services call it AccessDenied (as the error writer renders it).</summary>
    private static string ErrorCode(ApiOperation operation, string code) =>
        operation.Protocol == ApiProtocol.Query && code == "AccessDeniedException" ? "AccessDenied" : code;

    private static string SourceIp(IPAddress? address) =>
        address is null ? "" : address.IsIPv4MappedToIPv6 ? address.MapToIPv4().ToString() : address.ToString();
}
