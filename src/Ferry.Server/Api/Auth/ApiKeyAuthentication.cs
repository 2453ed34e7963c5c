using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Ferry.Core.Tenancy;
using Microsoft.AspNetCore.Http;

namespace Ferry.Server.Api.Auth;

/// <summary>
/// Authenticates every /v1 request by its "Authorization: Bearer" token: the admin key from
/// configuration, or a customer's API key found by its SHA-256. Keys found are cached for a few
/// seconds so a busy client costs no store read per request. A key revoked through this process
/// stops working at once (<see cref="Forget"/>); one revoked through another process sharing the
/// store, within <see cref="CacheFor"/>.
/// </summary>
internal sealed class ApiKeyAuthentication(ITenantStore tenants, string adminKey, TimeProvider time)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);
    private readonly byte[] _adminKey = Encoding.UTF8.GetBytes(adminKey);
    private readonly ConcurrentDictionary<string, (ApiKey? Key, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);
    private int _revocations;

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (!context.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal) || Events.EventsApi.AuthenticatesItself(context.Request))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length > 512)
        {
            await Reject(context, "Send an API key as 'Authorization: Bearer <key>'.").ConfigureAwait(false);
            return;
        }

        var token = header[7..].Trim();
        var (caller, refusal) = await IdentifyAsync(token, context.RequestAborted).ConfigureAwait(false);
        if (caller is null)
        {
            await Reject(context, refusal ?? "The API key is not valid (unknown or revoked).").ConfigureAwait(false);
            return;
        }

        caller.AttachTo(context);
        await next(context).ConfigureAwait(false);
    }

    /// <returns>The caller, or null and, for a key that expired, why (the holder of the token may know it existed).</returns>
    private async Task<(Caller? Caller, string? Refusal)> IdentifyAsync(string token, CancellationToken cancellationToken)
    {
        if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), _adminKey))
        {
            return (new Caller(null, IsAdmin: true, "admin"), null);
        }

        if (!token.StartsWith(ApiKey.Prefix, StringComparison.Ordinal))
        {
            return (null, null);
        }

        var hash = ApiKey.Hash(token);
        var now = time.GetUtcNow();
        if (!_cache.TryGetValue(hash, out var cached) || cached.Until <= now)
        {
            var generation = Volatile.Read(ref _revocations);
            cached = (await tenants.FindApiKeyAsync(hash, cancellationToken).ConfigureAwait(false), now + CacheFor);
            if (_cache.Count > 10_000)
            {
                _cache.Clear();
            }

            // A revocation since the store was read may have been missed by that read: the answer
            // serves this request but is not kept. (Stored first, checked after: a revocation
            // that counts after this check removes the entry itself.)
            _cache[hash] = cached;
            if (generation != Volatile.Read(ref _revocations))
            {
                _cache.TryRemove(hash, out _);
            }
        }

        return cached.Key switch
        {
            { } key when key.IsActiveAt(now) => (new Caller(key.CustomerId, IsAdmin: false, key.KeyId, key.Scope), null),
            { RevokedAt: null, ExpiresAt: { } expired } key => (null, $"The API key {key.KeyId} expired at {expired:u}; the admin issues a new one."),
            _ => (null, null),
        };
    }

    /// <summary>Drops the cached lookups of key <paramref name="keyId"/>, so its next request reads the store.</summary>
    public void Forget(string keyId)
    {
        Interlocked.Increment(ref _revocations);
        foreach (var (hash, cached) in _cache)
        {
            if (cached.Key?.KeyId == keyId)
            {
                _cache.TryRemove(hash, out _);
            }
        }
    }

    private static Task Reject(HttpContext context, string detail)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return Problems.Status(StatusCodes.Status401Unauthorized, "Unauthorized", detail).ExecuteAsync(context);
    }
}
