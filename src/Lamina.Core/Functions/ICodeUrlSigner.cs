namespace Lamina.Core.Functions;

/// <summary>Makes the presigned URL that GetFunction and GetLayerVersion return as <c>Location</c>.</summary>
internal interface ICodeUrlSigner
{
    string Presign(string blobId);
}
