using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Ferry.Core.Tenancy;

/// <summary>
/// A customer's API key as stored: only the SHA-256 of the token, never the token. The token is
/// 256 random bits, so a plain hash is enough (no password-stretching needed) and lookups stay
/// one indexed read per request. <see cref="Scope"/> bounds what the key may do within its customer;
/// <see cref="ExpiresAt"/>, when set, until when (a key handed to a partner or a pipeline for a while).
/// </summary>
public sealed record ApiKey(
    string KeyId, string CustomerId, string Name, string TokenHash, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt = null, ApiKeyScope Scope = ApiKeyScope.Full,
    DateTimeOffset? ExpiresAt = null)
{
    public const string Prefix = "fry_";

    /// <summary>Neither revoked nor expired at <paramref name="now"/>.</summary>
    public bool IsActiveAt(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || now < ExpiresAt);

    /// <summary>A new key and the token to show once: "fry_" + key id + "_" + 43 base64url characters.</summary>
    public static (ApiKey Key, string Token) Issue(string customerId, string name, DateTimeOffset now, ApiKeyScope scope = ApiKeyScope.Full, DateTimeOffset? expiresAt = null)
    {
        var keyId = Ids.New("key_", 8);
        var token = $"{Prefix}{keyId}_{Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32))}";
        return (new ApiKey(keyId, customerId, name, Hash(token), now, Scope: scope, ExpiresAt: expiresAt), token);
    }

    /// <summary>The stored form of a presented token.</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
