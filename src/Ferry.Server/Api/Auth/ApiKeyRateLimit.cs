using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;

namespace Ferry.Server.Api.Auth;

/// <summary>
/// Requests per API key: a token bucket per key (<c>RateLimitPerSecond</c> sustained, up to
/// <c>RateLimitBurst</c> at once), so one customer's runaway script cannot take the API from the
/// others. Over it, a 429 with Retry-After; nothing of the request has run. The admin key, the
/// probes and event intake authenticated by a trigger's own token are not limited (the intake is
/// paced by what lands in the bucket, and a refused event would only come back later).
/// Runs after <see cref="ApiKeyAuthentication"/>, which identifies the key.
/// </summary>
internal sealed class ApiKeyRateLimit : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _limiter;
    private readonly int _perSecond;
    private readonly Hosting.ServerMetrics _metrics;

    /// <param name="perSecond">Sustained requests a second per key; 0 turns the limit off.</param>
    /// <param name="burst">Requests a key may make at once after being idle.</param>
    public ApiKeyRateLimit(int perSecond, int burst, Hosting.ServerMetrics metrics)
    {
        _perSecond = perSecond;
        _metrics = metrics;
        if (perSecond > 0)
        {
            // Not auto-replenished: the partitioned limiter's own 100 ms heartbeat refills every
            // key's bucket in proportion to the time gone by (one timer, not one per key), and
            // forgets the buckets of keys idle for a while.
            _limiter = PartitionedRateLimiter.Create<string, string>(keyId => RateLimitPartition.GetTokenBucketLimiter(keyId, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(burst, 1),
                TokensPerPeriod = perSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = false,
            }));
        }
    }

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (_limiter is null || !Caller.IsIdentified(context) || Caller.Of(context) is not { IsAdmin: false } caller)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        using var lease = _limiter.AttemptAcquire(caller.Actor);
        if (!lease.IsAcquired)
        {
            _metrics.RateLimited(caller.CustomerId!);
            var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await Problems.Status(StatusCodes.Status429TooManyRequests, "Too many requests",
                    $"API key {caller.Actor} made more than {_perSecond.ToString(CultureInfo.InvariantCulture)} requests a second (Ferry:RateLimitPerSecond); try again in {seconds} s.",
                    "rate-limited")
                .ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    public void Dispose() => _limiter?.Dispose();
}
