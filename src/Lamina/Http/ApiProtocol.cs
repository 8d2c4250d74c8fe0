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
        "kms" or "cloudtrail" or "logs" => ApiProtocol.Json11,
        _ => ApiProtocol.RestJson,
    };

    /// <summary>The <c>xmlns</c> of query-protocol responses (service model <c>xmlNamespace</c>).</summary>
    public string XmlNamespace => Service == "sts" ? StsNamespace : IamNamespace;

    /// <summary>Internal operations (presigned code downloads) accept only Lamina's own service key.</summary>
    public bool Internal { get; init; }

    /// <summary>The operation name AWS uses in its size-limit message, when it differs (Invoke says "InvokeFunction").</summary>
    public string? LimitName { get; init; }
}
