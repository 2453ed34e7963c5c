using System.Net;
using Amazon.S3.Model;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

[Collection("rig")]
public sealed class IsolationAndIdempotencyTests(Rig rig, SharedServer shared) : IClassFixture<SharedServer>
{
    [Fact]
    public async Task SameFileRequestedTwice_MapsToTheSameJob()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        var (src, dst) = await TwoBucketsAsync(client, "same.txt");

        var first = await client.TransferAsync(src, "same.txt", dst, "same.txt");
        var second = await client.TransferAsync(src, "same.txt", dst, "same.txt");

        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal((0, 1), (second.Body.GetProperty("created").GetInt32(), second.Body.GetProperty("existing").GetInt32()));
        Assert.Equal(JobId(first), JobId(second));
    }

    [Fact]
    public async Task IdempotencyKeyHeader_ReplaysTheFirstResponse_EvenAfterTheSourceChanged()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        var (src, dst, bucket) = await TwoBucketsWithNameAsync(client, "k.txt");
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = "order-" + Guid.NewGuid() };

        var first = await client.TransferAsync(src, "k.txt", dst, "k.txt", headers: key);
        // A new version of the file would be a new job without the header; with it, the retry is the same request.
        await rig.S3.Client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k.txt", ContentBody = "changed" });
        var replay = await client.TransferAsync(src, "k.txt", dst, "k.txt", headers: key);
        var misuse = await client.TransferAsync(dst, "k.txt", src, "k.txt", headers: key);

        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal(HttpStatusCode.OK, replay.Status);
        Assert.Equal(JobId(first), JobId(replay));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, misuse.Status);
    }

    [Fact]
    public async Task AnotherCustomersEndpointsAndJobs_Are404()
    {
        using var owner = await FerryClient.NewCustomerAsync(shared.Server);
        using var stranger = await FerryClient.NewCustomerAsync(shared.Server);
        var (src, dst) = await TwoBucketsAsync(owner, "mine.txt");
        var jobId = JobId(await owner.TransferAsync(src, "mine.txt", dst, "mine.txt"));

        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"v1/endpoints/{src}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"v1/jobs/{jobId}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"v1/jobs/{jobId}/events")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.PostAsync($"v1/jobs/{jobId}/cancel", null)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.PostAsync($"v1/endpoints/{src}/deactivate", null)).Status);
        Assert.Equal(0, (await stranger.GetAsync("v1/jobs")).Body.GetProperty("jobs").GetArrayLength());
        Assert.Equal(0, (await stranger.GetAsync("v1/endpoints")).Body.GetProperty("endpoints").GetArrayLength());
        Assert.Equal(["customer"], (await stranger.GetAsync("v1/audit")).Body.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("entity_type").GetString()));
        var useTheirs = await stranger.TransferAsync(src, "mine.txt", dst, "x");
        Assert.Equal(HttpStatusCode.BadRequest, useTheirs.Status);
        Assert.Equal("ACTIVE", (await owner.GetAsync($"v1/endpoints/{src}")).Str("status"));
    }

    [Fact]
    public async Task JobHistory_RecordsEveryTransitionInOrder()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        var (src, dst) = await TwoBucketsAsync(client, "h.txt");
        var jobId = JobId(await client.TransferAsync(src, "h.txt", dst, "h.txt"));
        await client.WaitForJobAsync(jobId);

        var events = (await client.GetAsync($"v1/jobs/{jobId}/events")).Body.GetProperty("events").EnumerateArray()
            .Select(e => e.GetProperty("to").GetString()).ToList();

        Assert.Equal(["RECEIVED", "QUEUED", "RUNNING", "VERIFYING", "SUCCEEDED"], events);
    }

    private static string JobId(FerryClient.Reply reply) => reply.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString()!;

    private async Task<(string Src, string Dst)> TwoBucketsAsync(FerryClient client, string key)
    {
        var (src, dst, _) = await TwoBucketsWithNameAsync(client, key);
        return (src, dst);
    }

    private async Task<(string Src, string Dst, string Bucket)> TwoBucketsWithNameAsync(FerryClient client, string key)
    {
        var bucket = await rig.S3.NewBucketAsync();
        await rig.S3.Client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = "content of " + key });
        return (await client.RegisterS3Async(rig.S3, bucket), await client.RegisterS3Async(rig.S3, await rig.S3.NewBucketAsync()), bucket);
    }
}
