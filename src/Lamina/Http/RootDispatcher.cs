using Lamina.Core.Errors;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;

namespace Lamina.Http;

/// <summary>
/// The services that share <c>POST /</c>. Query-protocol services (IAM, STS) name the operation in the
/// <c>Action</c> form member; JSON 1.1 services (KMS, CloudWatch Logs, CloudTrail, Config) in the
/// <c>X-Amz-Target</c> header. Which service is meant comes from the signature's credential scope, as
/// on AWS, where each of them has its own host name.
/// </summary>
/// <remarks>
/// The front door asks <see cref="Provisional"/> before the body is read (its protocol renders a 413 or
/// an authentication failure), then <see cref="Resolve"/> with the body. Unsigned requests have no scope:
/// a query request is then attributed to STS when its action is an STS one, else to IAM, so that even
/// a MissingAuthenticationToken comes back as query XML.
/// </remarks>
internal sealed class RootDispatcher
{
    public delegate Task<ApiResult> Handler(ApiCall call);

    /// <summary>X-Amz-Target prefixes (service model <c>targetPrefix</c>) of the JSON 1.1 services that will live on POST /.</summary>
    private static readonly Dictionary<string, string> TargetPrefixes = new(StringComparer.Ordinal)
    {
        ["TrentService"] = "kms",
        ["Logs_20140328"] = "logs",
        ["com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"] = "cloudtrail",
        ["StarlingDoveService"] = "config",
    };

    private readonly Dictionary<(string Service, string Name), (ApiOperation Operation, Handler Handler)> _operations = [];

    /// <summary>Registers one operation of a service served on POST /.</summary>
    public void Add(string service, string name, Handler handler) =>
        _operations.Add((service, name), (new ApiOperation(service, name), handler));

    /// <summary>Maps <c>POST /</c>: the front door has resolved and authenticated the call; this runs its handler.</summary>
    public void MapTo(IEndpointRouteBuilder app) =>
        app.MapPost("/", async context =>
        {
            var call = context.Features.GetRequiredFeature<ApiCall>();
            var result = await _operations[(call.Operation.Service, call.Operation.Name)].Handler(call);
            await result.WriteAsync(call);
        }).WithMetadata(this);

    /// <summary>The service and protocol a request is for, from its headers alone.</summary>
    public static ApiOperation Provisional(HttpContext context)
    {
        var scope = ScopeService(context.Request);
        if (context.Request.Headers.TryGetValue("X-Amz-Target", out var target))
        {
            // The operation follows the last dot: CloudTrail's prefix has dots of its own.
            var prefix = target.ToString()[..Math.Max(0, target.ToString().LastIndexOf('.'))];
            var service = scope ?? TargetPrefixes.GetValueOrDefault(prefix) ?? "unknown";
            return new ApiOperation(service, target.ToString()) { Protocol = ApiProtocol.Json11 };
        }

        return scope is null or "iam" or "sts"
            ? new ApiOperation(scope ?? "iam", "Unknown")
            : new ApiOperation(scope, "Unknown") { Protocol = ApiProtocol.RestJson };
    }

    /// <summary>The operation a request names once its body is read, or the error for naming none Lamina serves.</summary>
    public (ApiOperation Operation, IReadOnlyDictionary<string, string> Form, AwsError? Unknown) Resolve(HttpContext context, ApiOperation provisional,
        byte[] body)
    {
        var empty = new Dictionary<string, string>();
        switch (provisional.Protocol)
        {
            case ApiProtocol.Json11:
                {
                    var target = provisional.Name;
                    var dot = target.LastIndexOf('.');
                    var name = dot < 0 ? "" : target[(dot + 1)..];
                    return _operations.TryGetValue((provisional.Service, name), out var found)
                        ? (found.Operation, empty, null)
                        : (provisional, empty, new AwsError(400, "UnknownOperationException", $"Operation {target} is not supported by this server."));
                }

            case ApiProtocol.Query:
                {
                    var form = ParseForm(context, body);
                    var action = form.GetValueOrDefault("Action");
                    var service = provisional.Service;
                    if (ScopeService(context.Request) is null && action is not null && _operations.ContainsKey(("sts", action)))
                    {
                        service = "sts";
                    }

                    if (action is not null && _operations.TryGetValue((service, action), out var found))
                    {
                        return (found.Operation, form, null);
                    }

                    var operation = new ApiOperation(service, action ?? "Unknown");
                    var version = service == "sts" ? "2011-06-15" : "2010-05-08";
                    return (operation, form, action is null
                        ? new AwsError(400, "MissingAction", "The request must contain the parameter Action.")
                        : new AwsError(400, "InvalidAction", $"Could not find operation {action} for version {form.GetValueOrDefault("Version") ?? version}"));
                }

            default:
                return (provisional, empty, LambdaErrors.UnknownOperation(context.Request.Method, context.Request.Path));
        }
    }

    /// <summary>URL query members, then form-body members (the body wins), percent- and plus-decoded.</summary>
    private static Dictionary<string, string> ParseForm(HttpContext context, byte[] body)
    {
        var form = new Dictionary<string, string>(StringComparer.Ordinal);
        var raw = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var q = raw.IndexOf('?', StringComparison.Ordinal);
        foreach (var source in new[] { q < 0 ? "" : raw[(q + 1)..], System.Text.Encoding.UTF8.GetString(body) })
        {
            foreach (var (key, value) in QueryHelpers.ParseQuery(source))
            {
                form[key] = value.ToString();
            }
        }

        return form;
    }

    /// <summary>The service in the credential scope (<c>Credential=AKID/DATE/REGION/SERVICE/aws4_request</c>), if the request is signed.</summary>
    private static string? ScopeService(HttpRequest request)
    {
        string? credential = null;
        var authorization = request.Headers.Authorization.ToString();
        var at = authorization.IndexOf("Credential=", StringComparison.Ordinal);
        if (at >= 0)
        {
            var end = authorization.IndexOf(',', at);
            credential = authorization[(at + "Credential=".Length)..(end < 0 ? authorization.Length : end)].Trim();
        }
        else if (request.Query.TryGetValue("X-Amz-Credential", out var presigned))
        {
            credential = presigned.ToString();
        }

        var parts = credential?.Split('/');
        return parts is { Length: 5 } ? parts[3] : null;
    }
}
