using Lamina.Core.Audit;

namespace Lamina.Http;

/// <summary>The wire protocols of the AWS services Lamina serves; each renders errors its own way.</summary>
internal enum ApiProtocol
{
    /// <summary>Lambda: REST paths, JSON bodies, <c>X-Amzn-ErrorType</c> header.</summary>
    RestJson,

    /// <summary>KMS, CloudTrail, CloudWatch Logs: <c>POST /</c> with <c>X-Amz-Target</c>, <c>__type</c> in the body.</summary>
    Json11,

    /// <summary>IAM, STS: form-encoded <c>Action=</c>, XML <c>ErrorResponse</c>.</summary>
    Query,
}

/// <summary>Endpoint metadata: which AWS operation an endpoint is and how large its body may be.</summary>
/// <param name="Service">Signing name of the service, e.g. <c>lambda</c>.</param>
/// <param name="Name">Operation name from the service model, e.g. <c>GetFunction</c>.</param>
/// <param name="MaxBodyBytes">Largest request body accepted; larger ones get 413 before being read.</param>
internal sealed record ApiOperation(string Service, string Name, long MaxBodyBytes = ApiOperation.DefaultMaxBody)
{
    /// <summary>Control-plane calls other than code uploads are small; 6 MB covers every Lambda shape.</summary>
    public const long DefaultMaxBody = 6 * 1024 * 1024;

    public const string IamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/";
    public const string StsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/";

    /// <summary>How requests and errors are shaped; set explicitly only for services Lamina does not serve.</summary>
    public ApiProtocol Protocol { get; init; } = Service switch
    {
        "iam" or "sts" => ApiProtocol.Query,
        "kms" or "cloudtrail" or "logs" or "config" => ApiProtocol.Json11,
        _ => ApiProtocol.RestJson,
    };

    /// <summary>
    /// How the call is audited: a management event (the default), a data event (Invoke, the durable execution
    /// calls), or not at all (Lamina-internal operations).
    /// </summary>
    public AuditCategory Audit { get; init; } = AuditCategory.Management;

    /// <summary>
    /// Whether the request body's members go into the record's <c>requestParameters</c> (redacted). Off where
    /// the body is a payload (Invoke); handlers then add what identifies the call with <see cref="AuditScope.Request(string, string?)"/>.
    /// </summary>
    public bool AuditBody { get; init; } = true;

    /// <summary>
    /// Whether a successful call's response goes into <c>responseElements</c> (redacted). By default yes for calls
    /// that change something, and for STS, whose answer names the access key it issued (as CloudTrail records it).
    /// </summary>
    public bool AuditResponse { get; init; } = Service == "sts" || !IsReadName(Name);

    /// <summary>CloudTrail's <c>readOnly</c>: by default true for Get*, List*, Describe* and Lookup* operations.</summary>
    public bool ReadOnly { get; init; } = IsReadName(Name);

    private static bool IsReadName(string name) =>
        name.StartsWith("Get", StringComparison.Ordinal) || name.StartsWith("List", StringComparison.Ordinal)
        || name.StartsWith("Describe", StringComparison.Ordinal) || name.StartsWith("Lookup", StringComparison.Ordinal);

    /// <summary>CloudTrail's <c>eventSource</c>, e.g. <c>lambda.amazonaws.com</c>.</summary>
    public string EventSource => $"{Service}.amazonaws.com";

    /// <summary>The <c>xmlns</c> of query-protocol responses (service model <c>xmlNamespace</c>).</summary>
    public string XmlNamespace => Service == "sts" ? StsNamespace : IamNamespace;

    /// <summary>Internal operations (presigned code downloads) accept only Lamina's own service key.</summary>
    public bool Internal { get; init; }

    /// <summary>The operation name AWS uses in its size-limit message, when it differs (Invoke says "InvokeFunction").</summary>
    public string? LimitName { get; init; }
}
