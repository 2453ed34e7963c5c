using System.Net;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>
/// The store does not grow without end: a job finished longer ago than Ferry:JobRetentionDays goes
/// with its history (its id answers 410 with how it ended), and its file is still not transferred
/// again; audit entries older than Ferry:AuditRetentionDays go too. Time is the store's records
/// aged while the server is stopped; the sweep runs when it starts. Real sshd and Ceph RGW.
/// </summary>
[Collection("rig")]
public sealed class RetentionTests(Rig rig)
{
    private static readonly long Day = (long)TimeSpan.FromDays(1).TotalMilliseconds;

    [Fact]
    public async Task AJobPastItsRetention_IsRemovedWithItsHistory_AndItsFileIsNotSentAgain()
    {
        await using var server = new ServerProcess(new Dictionary<string, string> { ["FERRY__JOBRETENTIONDAYS"] = "30", ["FERRY__AUDITRETENTIONDAYS"] = "365" });
        await server.StartAsync();
        using var client = await FerryClient.NewCustomerAsync(server);
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        await RandomData.WriteFileAsync(Path.Combine(dir, "old.csv"), 3_000, seed: 81);
        await RandomData.WriteFileAsync(Path.Combine(dir, "recent.csv"), 3_000, seed: 82);
        var bucket = await rig.S3.NewBucketAsync();
        var src = await client.RegisterSftpAsync(rig.Sftp, dir);
        var dst = await client.RegisterS3Async(rig.S3, bucket);
        var old = await TransferAsync(client, src, "old.csv", dst);
        var recent = await TransferAsync(client, src, "recent.csv", dst);
        Assert.Equal(0, await server.StopAsync(TimeSpan.FromSeconds(30)));

        // 40 days pass for the first job, 400 for the audit entry of its success.
        Assert.Equal(1, await server.ChangeStoreAsync("UPDATE jobs SET updated_at = updated_at - $d * 40 WHERE job_id = $id", ("$d", Day), ("$id", old)));
        Assert.Equal(1, await server.ChangeStoreAsync("UPDATE audit_log SET at = at - $d * 400 WHERE entity_id = $id", ("$d", Day), ("$id", old)));
        await server.StartAsync();

        FerryClient.Reply gone = null!;
        await Eventually.TrueAsync(async () => (gone = await client.GetAsync($"v1/jobs/{old}")).Status == HttpStatusCode.Gone,
            "the sweep at start did not remove the job finished 40 days ago", TimeSpan.FromSeconds(30));
        Assert.Equal("https://ferry.dev/problems/job-pruned", gone.Str("type"));
        Assert.Equal("SUCCEEDED", gone.Str("status"));
        Assert.Contains("Ferry:JobRetentionDays", gone.Str("detail"));
        Assert.Equal(HttpStatusCode.Gone, (await client.GetAsync($"v1/jobs/{old}/events")).Status);
        Assert.Equal(HttpStatusCode.Gone, (await client.PostAsync($"v1/jobs/{old}/redrive", null)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("v1/jobs/job_0000000000000000000000000000000000")).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"v1/jobs/{recent}")).Status);
        Assert.Equal([recent], (await client.GetAsync("v1/jobs")).Body.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("job_id").GetString()));
        using var scraper = new HttpClient { BaseAddress = server.BaseAddress };
        var metrics = await scraper.GetStringAsync("metrics");
        Assert.Equal(1, PrometheusPage.Value(metrics, "ferry_retention_removed_total", "kind=\"job\""));
        Assert.Equal(1, PrometheusPage.Value(metrics, "ferry_retention_removed_total", "kind=\"audit_entry\""));
        var audited = (await client.GetAsync("v1/audit")).Body.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("entity_id").GetString()).ToList();
        Assert.DoesNotContain(old, audited);
        Assert.Contains(recent, audited);

        // The file is still at the source, unchanged: asking for it again finds the pruned job, sends nothing.
        await rig.S3.Client.DeleteObjectAsync(bucket, "in/old.csv");
        var again = await client.TransferAsync(src, "old.csv", dst, "in/old.csv");
        Assert.Equal(HttpStatusCode.OK, again.Status);
        var job = again.Body.GetProperty("jobs")[0];
        Assert.Equal((old, "SUCCEEDED", true), (job.GetProperty("job_id").GetString(), job.GetProperty("status").GetString(), job.GetProperty("pruned").GetBoolean()));
        Assert.Equal(0, again.Body.GetProperty("created").GetInt32());
        Assert.Equal(1, (await client.GetAsync("v1/jobs")).Body.GetProperty("jobs").GetArrayLength());
        Assert.Equal(0, (await rig.S3.Client.ListObjectsV2Async(new() { BucketName = bucket, Prefix = "in/old.csv" })).KeyCount ?? 0);
    }

    [Fact]
    public async Task APrunedJobsRecordPastItsRetention_IsForgotten_AndItsFileIsSentAgain()
    {
        await using var server = new ServerProcess(new Dictionary<string, string> { ["FERRY__JOBRETENTIONDAYS"] = "30", ["FERRY__PRUNEDJOBRETENTIONDAYS"] = "365" });
        await server.StartAsync();
        using var client = await FerryClient.NewCustomerAsync(server);
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        await RandomData.WriteFileAsync(Path.Combine(dir, "ancient.csv"), 3_000, seed: 83);
        var bucket = await rig.S3.NewBucketAsync();
        var src = await client.RegisterSftpAsync(rig.Sftp, dir);
        var dst = await client.RegisterS3Async(rig.S3, bucket);
        var ancient = await TransferAsync(client, src, "ancient.csv", dst);
        Assert.Equal(0, await server.StopAsync(TimeSpan.FromSeconds(30)));

        // 400 days pass: past the job's 30 days and its record's 365.
        Assert.Equal(1, await server.ChangeStoreAsync("UPDATE jobs SET updated_at = updated_at - $d * 400 WHERE job_id = $id", ("$d", Day), ("$id", ancient)));
        await server.StartAsync();

        await Eventually.TrueAsync(async () => (await client.GetAsync($"v1/jobs/{ancient}")).Status == HttpStatusCode.NotFound,
            "the sweep at start did not forget the job finished 400 days ago", TimeSpan.FromSeconds(30));
        using var scraper = new HttpClient { BaseAddress = server.BaseAddress };
        var metrics = await scraper.GetStringAsync("metrics");
        Assert.Equal(1, PrometheusPage.Value(metrics, "ferry_retention_removed_total", "kind=\"job\""));
        Assert.Equal(1, PrometheusPage.Value(metrics, "ferry_retention_removed_total", "kind=\"pruned_record\""));

        // The file still sits at the source, unchanged: it counts as never transferred now.
        await rig.S3.Client.DeleteObjectAsync(bucket, "in/ancient.csv");
        var again = await client.TransferAsync(src, "ancient.csv", dst, "in/ancient.csv");
        Assert.True(again.Status == HttpStatusCode.Created, again.Text);
        var sentAgain = again.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString()!;
        Assert.NotEqual(ancient, sentAgain);
        Assert.Equal("SUCCEEDED", (await client.WaitForJobAsync(sentAgain)).GetProperty("status").GetString());
        Assert.Equal(1, (await rig.S3.Client.ListObjectsV2Async(new() { BucketName = bucket, Prefix = "in/ancient.csv" })).KeyCount ?? 0);
    }

    private static async Task<string> TransferAsync(FerryClient client, string src, string name, string dst)
    {
        var reply = await client.TransferAsync(src, name, dst, "in/" + name);
        var id = reply.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString()!;
        Assert.Equal("SUCCEEDED", (await client.WaitForJobAsync(id)).GetProperty("status").GetString());
        return id;
    }
}
