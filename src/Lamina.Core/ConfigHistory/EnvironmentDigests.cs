using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lamina.Core.Api.Lambda;
using Lamina.Core.Crypto;
using Lamina.Core.Functions;

namespace Lamina.Core.ConfigHistory;

/// <summary>
/// Environment variables for configuration history: names kept, each value replaced by
/// <c>hmac-sha256:</c> and 32 hex digits of HMAC-SHA256 under a key derived from the master key. Equal values
/// give equal hashes, so a change shows; without the master key a hash cannot confirm a guessed value.
/// </summary>
/// <remarks>The key comes from the active master key: after a master-key rotation the same values hash differently.</remarks>
internal sealed class EnvironmentDigests(Envelope envelope) : IChangeRecorderHooks
{
    public string? EnvironmentDigest(string accountId, string functionName, byte[] sealedEnvironment)
    {
        // Variables sealed under a KMS key (names included) open only through KMS, with a key policy check this
        // trigger-time hook cannot make; the blob carries a keyed digest of the whole set (EnvironmentCipher), so
        // history shows that digest: a change to any name or value shows, and nothing can be confirmed from it.
        if (EnvironmentCipher.TryParse(sealedEnvironment, out _, out var setDigest))
        {
            return "{\"Digest\":\"hmac-sha256:" + Convert.ToHexStringLower(setDigest.AsSpan(0, 16)) + "\"}";
        }

        Dictionary<string, string>? variables;
        try
        {
            var json = envelope.OpenString(sealedEnvironment, FunctionService.EnvironmentContext(accountId, functionName));
            variables = JsonSerializer.Deserialize(json, LambdaJson.Default.DictionaryStringString);
        }
        catch (Exception ex) when (ex is CryptographicException or JsonException)
        {
            return null;
        }

        var key = HMACSHA256.HashData(envelope.MasterKey.ActiveKey, "lamina-config-history-env"u8);
        var hashed = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in variables ?? [])
        {
            hashed[name] = "hmac-sha256:" + Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(value)).AsSpan(0, 16));
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("Variables");
            foreach (var (name, value) in hashed)
            {
                writer.WriteString(name, value);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
