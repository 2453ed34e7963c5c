using System.Net;
using Ferry.Server.Tests.Support;

namespace Ferry.Server.Tests;

/// <summary>Each API key gets its own budget of requests; going over it is a 429 for that key alone.</summary>
public sealed class RateLimitTests
{
    [Fact]
    public async Task AKeyOverItsLimit_Gets429WithRetryAfter_WhileAnotherCustomersKeyAndTheAdminAreServed()
    {
        await using var server = new ServerProcess(new Dictionary<string, string> { ["FERRY__RATELIMITPERSECOND"] = "2", ["FERRY__RATELIMITBURST"] = "4" });
        await server.StartAsync();
        using var busy = await FerryClient.NewCustomerAsync(server);
        using var other = await FerryClient.NewCustomerAsync(server);
        using var admin = new FerryClient(server, server.AdminKey);

        var replies = new List<FerryClient.Reply>();
        for (var i = 0; i < 20; i++)
        {
            replies.Add(await busy.GetAsync("v1/jobs"));
        }

        // 4 at once and 2 more a second: 20 requests back to back on loopback cannot all pass.
        var refused = replies.Where(r => r.Status == HttpStatusCode.TooManyRequests).ToList();
        Assert.True(refused.Count >= 10, $"{refused.Count} of 20 refused");
        Assert.All(replies, r => Assert.Contains(r.Status, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
        Assert.Equal(HttpStatusCode.OK, replies[0].Status);
        var first = refused[0];
        Assert.Equal("https://ferry.dev/problems/rate-limited", first.Str("type"));
        Assert.Contains("Ferry:RateLimitPerSecond", first.Str("detail"));
        Assert.True(first.Message.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), first.Message.Headers.RetryAfter?.ToString());

        using var scraper = new HttpClient { BaseAddress = server.BaseAddress };
        Assert.Equal(refused.Count, PrometheusPage.Value(await scraper.GetStringAsync("metrics"), "ferry_api_rate_limited_total", "customer_id="));

        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("v1/jobs")).Status);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("v1/customers")).Status);
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // the bucket refills: the key is served again
        Assert.Equal(HttpStatusCode.OK, (await busy.GetAsync("v1/jobs")).Status);
    }
}
