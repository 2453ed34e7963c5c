using System.Security.Cryptography;
using System.Text;

namespace Ferry.Core.Secrets;

/// <summary>
/// AES-256-GCM for secrets at rest. Each value gets a fresh 96-bit nonce; the customer and the
/// reference are authenticated as associated data, so a ciphertext copied onto another row (or
/// another customer) fails to decrypt instead of leaking.
/// Layout: version byte (1) | nonce (12) | tag (16) | ciphertext.
/// </summary>
public sealed class SecretCipher
{
    private const byte FormatVersion = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;

    public SecretCipher(byte[] key)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("The secret-store key must be 32 bytes (AES-256).", nameof(key));
        }

        _key = key.ToArray();
    }

    public byte[] Encrypt(string plaintext, string customerId, string reference)
    {
        var data = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[1 + NonceSize + TagSize + data.Length];
        output[0] = FormatVersion;
        var nonce = output.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, data, output.AsSpan(1 + NonceSize + TagSize), output.AsSpan(1 + NonceSize, TagSize), Aad(customerId, reference));
        CryptographicOperations.ZeroMemory(data);
        return output;
    }

    /// <summary>Throws <see cref="CryptographicException"/> when the data was altered, moved, or encrypted under another key.</summary>
    public string Decrypt(byte[] sealedValue, string customerId, string reference)
    {
        if (sealedValue.Length < 1 + NonceSize + TagSize || sealedValue[0] != FormatVersion)
        {
            throw new CryptographicException("The stored secret is not in a format this version of Ferry reads.");
        }

        var plaintext = new byte[sealedValue.Length - 1 - NonceSize - TagSize];
        using var aes = new AesGcm(_key, TagSize);
        aes.Decrypt(sealedValue.AsSpan(1, NonceSize), sealedValue.AsSpan(1 + NonceSize + TagSize), sealedValue.AsSpan(1 + NonceSize, TagSize), plaintext,
            Aad(customerId, reference));
        try
        {
            return Encoding.UTF8.GetString(plaintext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static byte[] Aad(string customerId, string reference) => Encoding.UTF8.GetBytes($"ferry-secret|{customerId}|{reference}");
}
