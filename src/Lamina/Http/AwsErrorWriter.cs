using System.Security;
using System.Text;
using System.Text.Json;
using Lamina.Core.Auth;
using Lamina.Core.Errors;

namespace Lamina.Http;

/// <summary>
/// The one place AWS error responses are produced (ARCHITECTURE.md invariant 5): status, error-type
/// header, request id, and a body in the caller's protocol.
/// </summary>
internal static class AwsErrorWriter
{
    /// <summary>Lambda puts these errors' text in <c>Message</c>; all others use <c>message</c> (recorded AWS responses).</summary>
    private static readonly HashSet<string> CapitalMessage = new(StringComparer.Ordinal)
    {
        "ResourceNotFoundException", "CodeSigningConfigNotFoundException", "RequestEntityTooLargeException", "AccessDeniedException",
        // The model gives Invoke's KMS errors Type and Message members.
        "KMSDisabledException", "KMSInvalidStateException", "KMSNotFoundException", "KMSAccessDeniedException",
    };

    /// <summary>Errors AWS sends without a <c>Type</c> member.</summary>
    private static readonly HashSet<string> Untyped = new(StringComparer.Ordinal)
    {
        "ValidationException", "RequestEntityTooLargeException", "MissingAuthenticationTokenException", "IncompleteSignatureException",
        "UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException", "AccessDeniedException",
    };

    private static readonly JsonWriterOptions RelaxedJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Task WriteAsync(HttpContext context, ApiOperation operation, AwsError error)
    {
        var protocol = operation.Protocol;
        var response = context.Response;
        response.StatusCode = error.StatusCode;
        response.Headers["X-Amzn-ErrorType"] = error.Code;
        if (error.RetryAfterSeconds is { } retry)
        {
            response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return protocol switch
        {
            ApiProtocol.Query => WriteXml(context, operation.XmlNamespace, error),
            ApiProtocol.Json11 => WriteJson11(context, error),
            _ => WriteRestJson(context, error),
        };
    }

    private static Task WriteRestJson(HttpContext context, AwsError error)
    {
        context.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, RelaxedJson))
        {
            json.WriteStartObject();
            if (!Untyped.Contains(error.Code))
            {
                json.WriteString("Type", error.Type);
            }

            json.WriteString(CapitalMessage.Contains(error.Code) ? "Message" : "message", error.Message);
            foreach (var (name, value) in error.Extra)
            {
                json.WriteString(name, value);
            }

            json.WriteEndObject();
        }

        return context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length)).AsTask();
    }

    private static Task WriteJson11(HttpContext context, AwsError error)
    {
        context.Response.ContentType = "application/x-amz-json-1.1";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, RelaxedJson))
        {
            json.WriteStartObject();
            json.WriteString("__type", error.Code);
            json.WriteString("message", error.Message);
            json.WriteEndObject();
        }

        return context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length)).AsTask();
    }

    private static Task WriteXml(HttpContext context, string xmlNamespace, AwsError error)
    {
        // The query services (IAM, STS) name this error without the suffix.
        if (error.Code == "AccessDeniedException")
        {
            error = error with { Code = "AccessDenied" };
            context.Response.Headers["X-Amzn-ErrorType"] = "AccessDenied";
        }

        context.Response.ContentType = "text/xml";
        var requestId = context.Response.Headers["x-amzn-RequestId"].ToString();
        var xml = new StringBuilder()
            .Append("<ErrorResponse xmlns=\"").Append(xmlNamespace).Append("\"><Error><Type>")
            .Append(error.StatusCode >= 500 ? "Receiver" : "Sender")
            .Append("</Type><Code>").Append(SecurityElement.Escape(error.Code))
            .Append("</Code><Message>").Append(SecurityElement.Escape(error.Message))
            .Append("</Message></Error><RequestId>").Append(requestId).Append("</RequestId></ErrorResponse>")
            .ToString();
        return context.Response.WriteAsync(XmlSafe(xml));
    }

    /// <summary>
    /// Messages echo request values (a rejected name, say); characters XML 1.0 cannot carry even escaped
    /// (control characters) become U+FFFD, so clients can still parse the error.
    /// </summary>
    private static string XmlSafe(string text) =>
        text.Any(c => c < 0x20 && c is not ('\t' or '\n' or '\r'))
            ? string.Concat(text.Select(c => c < 0x20 && c is not ('\t' or '\n' or '\r') ? '\uFFFD' : c))
            : text;

    /// <summary>Maps an authentication failure to the error code each protocol uses for it.</summary>
    public static AwsError ForAuth(ApiProtocol protocol, AuthProblem problem)
    {
        var query = protocol == ApiProtocol.Query;
        var code = problem.Failure switch
        {
            AuthFailure.MissingToken => query ? "MissingAuthenticationToken" : "MissingAuthenticationTokenException",
            AuthFailure.IncompleteSignature => query ? "IncompleteSignature" : "IncompleteSignatureException",
            AuthFailure.UnknownAccessKey or AuthFailure.InvalidToken => query ? "InvalidClientTokenId" : "UnrecognizedClientException",
            AuthFailure.TokenExpired => query ? "ExpiredToken" : "ExpiredTokenException",
            _ => query ? "SignatureDoesNotMatch" : "InvalidSignatureException",
        };
        // STS and IAM word this one differently from Lambda's "Missing Authentication Token" (what botocore
        // users see, e.g. "api error MissingAuthenticationToken: Request is missing Authentication Token").
        var message = query && problem.Failure == AuthFailure.MissingToken ? "Request is missing Authentication Token" : problem.Message;
        return new AwsError(403, code, message);
    }
}
