using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>Failure notices: a real HTTP receiver on 127.0.0.1 gets a signed notice when a job FAILS, also after refusing the first attempt.</summary>
[Collection("rig")]
public sealed class FailureWebhookTests(Rig rig, SharedServer shared) : IClassFixture<SharedServer>
{
    [Fact]
    public async Task AFailedJob_IsReportedSigned_AndRetriedUntilTheReceiverTakesIt()
    {
        using var receiver = new Receiver(refuseFirst: 1);
        var p = await PartnerSetup.CreateAsync(rig, shared);
        using var client = p.Client;
        var set = await client.SendAsync(HttpMethod.Put, "v1/webhooks/job-failed", new { url = receiver.Url });
        Assert.Equal(HttpStatusCode.OK, set.Status);
        var secret = set.Str("secret");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("v1/webhooks/job-failed")).Status);
        Assert.False((await client.GetAsync("v1/webhooks/job-failed")).Body.TryGetProperty("secret", out _), "the secret is shown once");

        // A delivery refused by the target: the object exists and the policy forbids replacing it.
        await PartnerSetup.OldFileAsync(p.Dir, "f.bin", 100, seed: 31, DateTime.UtcNow.AddHours(-1));
        await rig.S3.Client.PutObjectAsync(new() { BucketName = p.Bucket, Key = "out/f.bin", ContentBody = "already here" });
        var transfer = await client.TransferAsync(p.Src, "f.bin", p.Dst, "out/f.bin", new { overwrite = "fail_if_exists" });
        var jobId = transfer.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString()!;
        Assert.Equal("FAILED", (await client.WaitForJobAsync(jobId)).GetProperty("status").GetString());

        var notice = await receiver.WaitForAcceptedAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, receiver.Attempts);
        using var body = JsonDocument.Parse(notice.Body);
        Assert.Equal("job.failed", body.RootElement.GetProperty("event").GetString());
        Assert.Equal(jobId, body.RootElement.GetProperty("job").GetProperty("job_id").GetString());
        Assert.Equal("ALREADY_EXISTS", body.RootElement.GetProperty("job").GetProperty("error_code").GetString());
        var signature = notice.Signature.Split(',').Select(x => x.Split('=', 2)).ToDictionary(x => x[0], x => x[1]);
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{signature["t"]}.{notice.Body}")));
        Assert.Equal(expected, signature["v1"]);
        Assert.NotEqual(expected, Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("whsec_wrong"), Encoding.UTF8.GetBytes($"{signature["t"]}.{notice.Body}"))));

        // The receiver has answered 200; the server records the delivery right after reading that answer.
        var delivery = await DeliveryAsync(client, jobId, until: d => d.GetProperty("status").GetString() == "delivered");
        Assert.Equal("delivered", delivery.GetProperty("status").GetString());
        Assert.Equal(2, delivery.GetProperty("attempts").GetInt32());
    }

    /// <summary>The job's delivery as listed, once <paramref name="until"/> holds or after 10 s (then as it is).</summary>
    private static async Task<JsonElement> DeliveryAsync(FerryClient client, string jobId, Func<JsonElement, bool> until)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var deliveries = (await client.GetAsync("v1/webhooks/job-failed/deliveries")).Body.GetProperty("deliveries");
            var delivery = deliveries.EnumerateArray().Single(d => d.GetProperty("job_id").GetString() == jobId).Clone();
            if (until(delivery) || DateTime.UtcNow > deadline)
            {
                return delivery;
            }

            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task BadWebhookUrls_AreRefused()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        foreach (var url in new[] { "ftp://example.com/x", "not a url", "https://user:pw@example.com/hook" })
        {
            var reply = await client.SendAsync(HttpMethod.Put, "v1/webhooks/job-failed", new { url });
            Assert.True(reply.Status == HttpStatusCode.BadRequest && reply.Body.GetProperty("errors").TryGetProperty("url", out _), $"{url}: {reply.Text}");
        }

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("v1/webhooks/job-failed")).Status);
    }

    /// <summary>An HTTP server on a free loopback port that answers 500 to the first <c>refuseFirst</c> requests and 200 after.</summary>
    private sealed class Receiver : IDisposable
    {
        private readonly ConcurrentQueue<(string Body, string Signature)> _accepted = new();
        private readonly LoopbackHttpServer _server;
        private int _attempts;

        public Receiver(int refuseFirst)
        {
            _server = new LoopbackHttpServer("/hooks/ferry/", (request, body) =>
            {
                var attempt = Interlocked.Increment(ref _attempts);
                if (attempt <= refuseFirst)
                {
                    return 500;
                }

                _accepted.Enqueue((Encoding.UTF8.GetString(body), request.Headers["Ferry-Signature"] ?? ""));
                return 200;
            });
        }

        public string Url => _server.Url;

        public int Attempts => Volatile.Read(ref _attempts);

        public async Task<(string Body, string Signature)> WaitForAcceptedAsync(TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                if (_accepted.TryPeek(out var notice))
                {
                    return notice;
                }

                await Task.Delay(100);
            }

            throw new TimeoutException($"no notice accepted within {timeout} ({Attempts} attempts seen)");
        }

        public void Dispose() => _server.Dispose();
    }
}
