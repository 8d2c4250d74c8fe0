using System.Security.Cryptography;
using System.Text;

namespace Lamina.Core.Iam;

/// <summary>
/// IAM unique ids: a 4-letter type prefix (<c>AIDA</c> user, <c>AROA</c> role, <c>ANPA</c> managed
/// policy) and 17 base-32 characters, 21 in all, as AWS shows them.
/// </summary>
internal static class IamIds
{
    public const string UserPrefix = "AIDA";
    public const string RolePrefix = "AROA";
    public const string PolicyPrefix = "ANPA";

    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public static string New(string prefix)
    {
        Span<byte> random = stackalloc byte[17];
        RandomNumberGenerator.Fill(random);
        return Build(prefix, random);
    }

    /// <summary>A stable id derived from a name (AWS managed policies have the same id in every account).</summary>
    public static string Derived(string prefix, string name) => Build(prefix, SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, 17));

    private static string Build(string prefix, ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(prefix, prefix.Length + bytes.Length);
        foreach (var b in bytes)
        {
            sb.Append(Alphabet[b & 31]);
        }

        return sb.ToString();
    }
}
