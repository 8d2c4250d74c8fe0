using System.Security.Cryptography;
using System.Text;

namespace Lamina.Durable;

/// <summary>
/// Operation ids as the official SDK makes them: the first 16 hex characters of MD5 over the step id, a counter path
/// such as <c>"2"</c> or <c>"5-1"</c> (the first operation inside operation 5). MD5 is a naming scheme here, not a
/// security boundary.
/// </summary>
public static class OperationIds
{
    /// <summary>The wire <c>Id</c> for a step id.</summary>
    public static string Hash(string stepId)
    {
        Span<byte> digest = stackalloc byte[16];
#pragma warning disable CA5351 // The wire format fixes MD5; nothing secret depends on it.
        MD5.HashData(Encoding.UTF8.GetBytes(stepId), digest);
#pragma warning restore CA5351
        return Convert.ToHexStringLower(digest[..8]);
    }
}
