using System.Security.Cryptography;
using System.Text;

namespace Lamina.Durable;

/// <summary>
/// Encrypts every payload another serializer produces with AES-256-GCM under a key only the function holds, so the
/// service (its store, backups, history API and operators) sees ciphertext only.
/// </summary>
/// <remarks>
/// Format: <c>lamina-enc:v1:&lt;keyId&gt;:&lt;base64(salt16 ‖ nonce12 ‖ ciphertext ‖ tag16)&gt;</c>.
/// <list type="number">
/// <item>Each payload gets a fresh 32-byte key, HKDF-SHA256 of the master key with a random 16-byte salt, so the
/// 2³² random-nonce limit of one GCM key (NIST SP 800-38D) never applies to the master key.</item>
/// <item>The associated data binds the execution ARN, the operation id and the key id: a payload copied to another
/// operation or another execution, or edited by one bit, fails the tag check instead of being read.</item>
/// <item>A payload without the prefix is refused, so plaintext cannot be slipped in place of ciphertext.</item>
/// <item>Older keys stay readable by id: rotate by adding a key and making it current.</item>
/// </list>
/// Not hidden: operation names, types, timing, payload sizes, error messages, the execution's input and result,
/// and callback results (sent by others in plaintext).
/// </remarks>
public sealed class EncryptingDurableSerializer : IDurableSerializer
{
    private const string Prefix = "lamina-enc:v1:";
    private const int SaltSize = 16;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly byte[] HkdfInfo = "lamina-durable-payload"u8.ToArray();

    private readonly IDurableSerializer _inner;
    private readonly Dictionary<string, byte[]> _keys;
    private readonly string _currentKeyId;

    /// <summary>One 32-byte key, id <paramref name="keyId"/>.</summary>
    public EncryptingDurableSerializer(IDurableSerializer inner, ReadOnlySpan<byte> key, string keyId = "k1")
        : this(inner, new Dictionary<string, byte[]> { [keyId] = key.ToArray() }, keyId)
    {
    }

    /// <summary>Several 32-byte keys by id; <paramref name="currentKeyId"/> encrypts, all decrypt.</summary>
    public EncryptingDurableSerializer(IDurableSerializer inner, IReadOnlyDictionary<string, byte[]> keys, string currentKeyId)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(keys);
        _inner = inner;
        _keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (id, key) in keys)
        {
            if (key.Length != 32)
            {
                throw new ArgumentException($"Key '{id}' must be 32 bytes (AES-256).", nameof(keys));
            }

            if (id.Length == 0 || id.Contains(':', StringComparison.Ordinal))
            {
                throw new ArgumentException("Key ids must be non-empty and contain no ':'.", nameof(keys));
            }

            _keys[id] = key.ToArray();
        }

        if (!_keys.ContainsKey(currentKeyId))
        {
            throw new ArgumentException($"No key with id '{currentKeyId}'.", nameof(currentKeyId));
        }

        _currentKeyId = currentKeyId;
    }

    public async ValueTask<string?> SerializeAsync<T>(T value, SerdesContext context, CancellationToken cancellationToken)
    {
        var plain = await _inner.SerializeAsync(value, context, cancellationToken);
        return plain is null ? null : Encrypt(plain, context);
    }

    public ValueTask<T?> DeserializeAsync<T>(string? payload, SerdesContext context, CancellationToken cancellationToken) =>
        _inner.DeserializeAsync<T>(payload is null ? null : Decrypt(payload, context), context, cancellationToken);

    private string Encrypt(string plaintext, SerdesContext context)
    {
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var blob = new byte[SaltSize + NonceSize + plain.Length + TagSize];
        var salt = blob.AsSpan(0, SaltSize);
        var nonce = blob.AsSpan(SaltSize, NonceSize);
        RandomNumberGenerator.Fill(salt);
        RandomNumberGenerator.Fill(nonce);
        Span<byte> key = stackalloc byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _keys[_currentKeyId], key, salt, HkdfInfo);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plain, blob.AsSpan(SaltSize + NonceSize, plain.Length), blob.AsSpan(blob.Length - TagSize),
            AssociatedData(context, _currentKeyId));
        CryptographicOperations.ZeroMemory(key);
        return Prefix + _currentKeyId + ":" + Convert.ToBase64String(blob);
    }

    private string Decrypt(string payload, SerdesContext context)
    {
        if (!payload.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new CryptographicException("Payload is not encrypted; refusing to read it.");
        }

        var rest = payload.AsSpan(Prefix.Length);
        var colon = rest.IndexOf(':');
        if (colon <= 0)
        {
            throw new CryptographicException("Encrypted payload has no key id.");
        }

        var keyId = rest[..colon].ToString();
        if (!_keys.TryGetValue(keyId, out var master))
        {
            throw new CryptographicException($"Encrypted payload uses unknown key '{keyId}'.");
        }

        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(rest[(colon + 1)..].ToString());
        }
        catch (FormatException e)
        {
            throw new CryptographicException("Encrypted payload is not valid base64.", e);
        }

        if (blob.Length < SaltSize + NonceSize + TagSize)
        {
            throw new CryptographicException("Encrypted payload is truncated.");
        }

        var cipherLength = blob.Length - SaltSize - NonceSize - TagSize;
        var plain = new byte[cipherLength];
        Span<byte> key = stackalloc byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, master, key, blob.AsSpan(0, SaltSize), HkdfInfo);
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(blob.AsSpan(SaltSize, NonceSize), blob.AsSpan(SaltSize + NonceSize, cipherLength),
                blob.AsSpan(blob.Length - TagSize), plain, AssociatedData(context, keyId));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }

        return Encoding.UTF8.GetString(plain);
    }

    private static byte[] AssociatedData(SerdesContext context, string keyId) =>
        Encoding.UTF8.GetBytes($"lamina-durable/v1\n{context.DurableExecutionArn}\n{context.OperationId}\n{keyId}");
}
