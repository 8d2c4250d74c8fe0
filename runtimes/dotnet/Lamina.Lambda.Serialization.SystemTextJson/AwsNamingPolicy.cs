using System.Text.Json;

namespace Amazon.Lambda.Serialization.SystemTextJson;

/// <summary>
/// Keeps property names as declared, except the two S3 event names that are not valid C# identifiers
/// (<c>XAmzId2</c> is <c>x-amz-id-2</c>, <c>XAmzRequestId</c> is <c>x-amz-request-id</c>); with a fallback policy,
/// other names go through it instead.
/// </summary>
public class AwsNamingPolicy : JsonNamingPolicy
{
    private readonly JsonNamingPolicy? _fallback;

    public AwsNamingPolicy()
    {
    }

    /// <param name="fallbackNamingPolicy">Applied to every name that is not one of the fixed S3 names.</param>
    public AwsNamingPolicy(JsonNamingPolicy fallbackNamingPolicy)
    {
        _fallback = fallbackNamingPolicy;
    }

    public override string ConvertName(string name) => name switch
    {
        "XAmzId2" => "x-amz-id-2",
        "XAmzRequestId" => "x-amz-request-id",
        _ => _fallback?.ConvertName(name) ?? name,
    };
}
