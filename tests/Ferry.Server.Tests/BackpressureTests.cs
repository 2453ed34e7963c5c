using System.Net;
using Amazon.S3.Model;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>
/// A customer's unfinished jobs are capped: over the cap a request gets 429 with Retry-After, not
/// an ever-growing backlog. The server here runs no workers (an API-only node), so jobs stay QUEUED.
/// </summary>
[Collection("rig")]
public sealed class BackpressureTests(Rig rig) : IAsyncLifetime
{
    private readonly ServerProcess _server = new(new Dictionary<string, string>
    {
        ["FERRY__WORKERS"] = "0",
        ["FERRY__MAXACTIVEJOBSPERCUSTOMER"] = "3",
    });

    public Task InitializeAsync() => _server.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task OverTheQueueLimit_RequestsGet429WithRetryAfter_UntilJobsFinish()
    {
        using var client = await FerryClient.NewCustomerAsync(_server);
        var bucket = await rig.S3.NewBucketAsync();
        foreach (var key in new[] { "a.txt", "b.txt", "c.txt", "d.txt", "dir/1.txt", "dir/2.txt" })
        {
            await rig.S3.Client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = key });
        }

        var src = await client.RegisterS3Async(rig.S3, bucket);
        var dst = await client.RegisterS3Async(rig.S3, await rig.S3.NewBucketAsync());

        var first = await client.TransferAsync(src, "a.txt", dst, "a.txt");
        Assert.Equal(HttpStatusCode.Created, first.Status);
        // Two slots left; a directory of two fits, a third single file does not.
        Assert.Equal(HttpStatusCode.Created, (await client.TransferAsync(src, "dir/", dst, "dir/")).Status);
        var refused = await client.TransferAsync(src, "b.txt", dst, "b.txt");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.Status);
        Assert.True(refused.Message.Headers.RetryAfter?.Delta > TimeSpan.Zero, "429 must say when to come back");
        Assert.Contains("the limit is 3", refused.Str("detail"), StringComparison.Ordinal);
        Assert.Equal(3, (await client.GetAsync("v1/jobs?status=QUEUED")).Body.GetProperty("jobs").GetArrayLength());

        // The limit is per customer: another one is not held back.
        using var other = await FerryClient.NewCustomerAsync(_server);
        var otherSrc = await other.RegisterS3Async(rig.S3, bucket);
        Assert.Equal(HttpStatusCode.Created, (await other.TransferAsync(otherSrc, "c.txt", otherSrc, "copy/c.txt")).Status);

        // A finished (here: cancelled) job frees its place once the count is refreshed.
        var jobId = first.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString();
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"v1/jobs/{jobId}/cancel", null)).Status);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        FerryClient.Reply retried;
        do
        {
            await Task.Delay(200);
            retried = await client.TransferAsync(src, "b.txt", dst, "b.txt");
        }
        while (retried.Status == HttpStatusCode.TooManyRequests && DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.Created, retried.Status);
    }

    [Fact]
    public async Task ApiOnlyNode_IsReady_AndLeavesJobsQueued()
    {
        using var client = await FerryClient.NewCustomerAsync(_server);
        var bucket = await rig.S3.NewBucketAsync();
        await rig.S3.Client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "q.txt", ContentBody = "queued" });
        var src = await client.RegisterS3Async(rig.S3, bucket);

        var ready = await client.GetAsync("readyz");
        var created = await client.TransferAsync(src, "q.txt", src, "copy/q.txt");
        await Task.Delay(TimeSpan.FromSeconds(1));
        var job = await client.GetAsync($"v1/jobs/{created.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString()}");

        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.Equal(0, ready.Body.GetProperty("running_here").GetInt32());
        Assert.Equal("QUEUED", job.Str("status"));
    }
}
