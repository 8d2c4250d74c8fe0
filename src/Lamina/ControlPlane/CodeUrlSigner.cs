using Lamina.Core.Auth;
using Lamina.Core.Functions;

namespace Lamina.ControlPlane;

/// <summary>
/// Presigns <c>GET /_lamina/code/ID</c> with Lamina's service key (SigV4 query form), so that a code
/// location works for anyone holding the URL until it expires, as S3 presigned URLs do for AWS.
/// </summary>
internal sealed class CodeUrlSigner(string baseUrl, Authenticator authenticator, ControlPlaneOptions options, TimeProvider time) : ICodeUrlSigner
{
    public const string PathPrefix = "/_lamina/code/";

    public string Presign(string blobId) =>
        SigV4Signer.Presign(new Uri($"{baseUrl}{PathPrefix}{blobId}"), Authenticator.ServiceAccessKeyId, authenticator.ServiceSecret,
            options.Region, "lambda", time.GetUtcNow(), options.CodeUrlLifetime);
}
