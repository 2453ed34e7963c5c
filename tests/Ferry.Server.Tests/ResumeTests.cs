using System.Text.Json;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>
/// A large SFTP-to-S3 transfer interrupted part-way continues its multipart upload on the next
/// attempt instead of starting over: after a dropped connection (same process) and after the
/// server was killed (another process, from the checkpoint saved with the lease renewals). A job
/// that gives up leaves nothing behind, at once or, when the target is down, once it is back. (Part files continued after a restart: ResilienceTests.)
/// </summary>
[Collection("rig")]
public sealed class ResumeTests(Rig rig)
{
    private const long MiB = 1024 * 1024;

    /// <summary>Five parts of the server's default 8 MiB.</summary>
    private const long Size = 40 * MiB;

    /// <summary>8 MiB/s through the proxy: the transfer takes about five seconds, and each part's upload finishes long before the next part is read.</summary>
    private const long BytesPerSecond = 8 * MiB;

    private static readonly object FastRetries = new { retry = new { max_attempts = 5, initial_backoff_seconds = 0.3, max_backoff_seconds = 1 } };

    [Fact]
    public async Task SourceConnectionCut_TheRetryContinuesTheUpload()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        using var client = await FerryClient.NewCustomerAsync(server);
        await using var proxy = new FaultProxy(rig.Sftp.Host, rig.Sftp.Port, BytesPerSecond);
        var (src, dst, bucket, sha) = await EndpointsAsync(client, proxy, seed: 31);

        proxy.CutAfter(30 * MiB, TimeSpan.FromSeconds(1));
        var jobId = await OneJobAsync(client, src, dst);
        var job = await client.WaitForJobAsync(jobId, TimeSpan.FromSeconds(120));

        Assert.True(job.GetProperty("status").GetString() == "SUCCEEDED", job.GetRawText());
        Assert.Equal(1, proxy.Cuts);
        // The proxy refuses connections for a second after the cut: attempts in between fail to
        // connect, and the checkpoint must survive them.
        var attempts = job.GetProperty("attempts").EnumerateArray().ToList();
        Assert.True(attempts.Count >= 2, job.GetRawText());
        Assert.Equal("retrying", attempts[0].GetProperty("outcome").GetString());
        AssertResumedWithParts(attempts[^1], job);
        await AssertDeliveredOnceAsync(bucket, sha, job);
    }

    [Fact]
    public async Task ServerKilledMidUpload_TheNextProcessContinuesFromTheSavedCheckpoint()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        using var client = await FerryClient.NewCustomerAsync(server);
        await using var proxy = new FaultProxy(rig.Sftp.Host, rig.Sftp.Port, BytesPerSecond / 2);
        var (src, dst, bucket, sha) = await EndpointsAsync(client, proxy, seed: 32);
        var jobId = await OneJobAsync(client, src, dst);

        // Two parts stored, then a lease renewal (every 2 s with the tests' 6 s lease) saves them
        // in the checkpoint; the whole transfer would take ten seconds.
        await WaitForStoredPartsAsync(bucket, 2);
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await server.KillAsync();
        await server.StartAsync();
        var job = await client.WaitForJobAsync(jobId, TimeSpan.FromSeconds(120));

        Assert.True(job.GetProperty("status").GetString() == "SUCCEEDED", job.GetRawText());
        var attempts = job.GetProperty("attempts").EnumerateArray().ToList();
        Assert.True(attempts.Count == 2, job.GetRawText());
        Assert.Equal("worker_lost", attempts[0].GetProperty("outcome").GetString());
        AssertResumedWithParts(attempts[1], job);
        await AssertDeliveredOnceAsync(bucket, sha, job);
    }

    [Fact]
    public async Task GivingUp_AbortsTheUploadTheAttemptKept()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        using var client = await FerryClient.NewCustomerAsync(server);
        await using var proxy = new FaultProxy(rig.Sftp.Host, rig.Sftp.Port, BytesPerSecond);
        var (src, dst, bucket, _) = await EndpointsAsync(client, proxy, seed: 33);

        proxy.CutAfter(20 * MiB, TimeSpan.FromSeconds(1));
        var reply = await client.TransferAsync(src, "in.bin", dst, "out.bin", new { retry = new { max_attempts = 1 } });
        var job = await client.WaitForJobAsync(reply.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString()!);

        Assert.True(job.GetProperty("status").GetString() == "FAILED", job.GetRawText());
        Assert.Equal("CONNECTION_FAILED", job.GetProperty("error_code").GetString());
        // The upload is aborted right after the failure is recorded.
        await Eventually.TrueAsync(async () => ((await rig.S3.Client.ListMultipartUploadsAsync(bucket)).MultipartUploads ?? []).Count == 0, "the upload was not aborted");
        Assert.Empty((await rig.S3.Client.ListObjectsV2Async(new() { BucketName = bucket })).S3Objects ?? []);
    }

    [Fact]
    public async Task DeliveryToSftpGivesUp_RemovesThePartFileItKept()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        using var client = await FerryClient.NewCustomerAsync(server);
        var bucket = await rig.S3.NewBucketAsync();
        await rig.S3.Client.PutObjectAsync(new() { BucketName = bucket, Key = "in.bin", InputStream = new RandomData(Size, 34) });
        await using var proxy = new FaultProxy(rig.Sftp.Host, rig.Sftp.Port, BytesPerSecond);
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var src = await client.RegisterS3Async(rig.S3, bucket);
        var dst = await client.RegisterSftpAsync(rig.Sftp, dir, port: proxy.Port);

        // The partner's server drops the connection once and is reachable again at once, so the
        // clean-up can get through (when it cannot, the part file stays: see the README).
        proxy.CutAfter(20 * MiB, TimeSpan.Zero);
        var reply = await client.TransferAsync(src, "in.bin", dst, "out.bin", new { retry = new { max_attempts = 1 } });
        var job = await client.WaitForJobAsync(reply.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString()!);

        Assert.True(job.GetProperty("status").GetString() == "FAILED", job.GetRawText());
        // The part file is removed right after the failure is recorded.
        await Eventually.TrueAsync(() => Directory.GetFiles(dir).Length == 0, "the part file was not removed");
    }

    [Fact]
    public async Task DeliveryToSftpGivesUpWhileThePartnerIsDown_ThePartFileIsRemovedOnceItIsBack()
    {
        await using var server = new ServerProcess(new Dictionary<string, string> { ["FERRY__LEFTOVERRETRYSECONDS"] = "1" });
        await server.StartAsync();
        using var client = await FerryClient.NewCustomerAsync(server);
        var bucket = await rig.S3.NewBucketAsync();
        await rig.S3.Client.PutObjectAsync(new() { BucketName = bucket, Key = "in.bin", InputStream = new RandomData(Size, 35) });
        await using var proxy = new FaultProxy(rig.Sftp.Host, rig.Sftp.Port, BytesPerSecond);
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var src = await client.RegisterS3Async(rig.S3, bucket);
        var dst = await client.RegisterSftpAsync(rig.Sftp, dir, port: proxy.Port);

        // The partner's server goes away mid-delivery and stays away after the job gave up.
        proxy.CutAfter(20 * MiB, TimeSpan.FromSeconds(8));
        var reply = await client.TransferAsync(src, "in.bin", dst, "out.bin", new { retry = new { max_attempts = 1 } });
        var jobId = reply.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString()!;
        var job = await client.WaitForJobAsync(jobId);

        Assert.True(job.GetProperty("status").GetString() == "FAILED", job.GetRawText());
        var part = Assert.Single(Directory.GetFiles(dir));
        Assert.Equal($"out.bin.{jobId}.part", Path.GetFileName(part));
        await Eventually.TrueAsync(async () => (await AuditActionsAsync(client, jobId)).Contains("job.leftover_kept"), "the leftover was not recorded");
        // Once the partner answers again, the sweeper removes it.
        await Eventually.TrueAsync(() => Directory.GetFiles(dir).Length == 0, "the part file was not removed");
        await Eventually.TrueAsync(async () => (await AuditActionsAsync(client, jobId)).Contains("job.leftover_removed"), "the removal was not audited");
    }

    [Fact]
    public async Task UploadToS3GivesUpWhileTheStoreIsDown_TheKeptUploadIsAbortedOnceItIsBack()
    {
        await using var server = new ServerProcess(new Dictionary<string, string> { ["FERRY__LEFTOVERRETRYSECONDS"] = "1" });
        await server.StartAsync();
        using var client = await FerryClient.NewCustomerAsync(server);
        var store = new Uri(rig.S3.Endpoint);
        await using var proxy = new FaultProxy(store.Host, store.Port);
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        await RandomData.WriteFileAsync(Path.Combine(dir, "in.bin"), Size, seed: 36);
        var bucket = await rig.S3.NewBucketAsync();
        var src = await client.RegisterSftpAsync(rig.Sftp, dir);
        var dst = await client.RegisterS3Async(rig.S3, bucket, port: proxy.Port);

        // The object store goes away mid-upload and stays away after the job gave up.
        proxy.CutAfter(20 * MiB, TimeSpan.FromSeconds(8));
        var reply = await client.TransferAsync(src, "in.bin", dst, "out.bin", new { retry = new { max_attempts = 1 } });
        var jobId = reply.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString()!;
        var job = await client.WaitForJobAsync(jobId);

        Assert.True(job.GetProperty("status").GetString() == "FAILED", job.GetRawText());
        Assert.Single((await rig.S3.Client.ListMultipartUploadsAsync(bucket)).MultipartUploads ?? []);
        await Eventually.TrueAsync(async () => (await AuditActionsAsync(client, jobId)).Contains("job.leftover_kept"), "the leftover was not recorded");
        // Once the store answers again, the sweeper aborts the upload.
        await Eventually.TrueAsync(async () => ((await rig.S3.Client.ListMultipartUploadsAsync(bucket)).MultipartUploads ?? []).Count == 0, "the upload was not aborted");
        await Eventually.TrueAsync(async () => (await AuditActionsAsync(client, jobId)).Contains("job.leftover_removed"), "the abort was not audited");
        Assert.Empty((await rig.S3.Client.ListObjectsV2Async(new() { BucketName = bucket })).S3Objects ?? []);
    }

    private static async Task<List<string?>> AuditActionsAsync(FerryClient client, string jobId) =>
        (await client.GetAsync($"v1/audit?entity_id={jobId}")).Body.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToList();

    /// <summary>The attempt continued after at least one whole 8 MiB part, and before the last.</summary>
    private static void AssertResumedWithParts(JsonElement attempt, JsonElement job)
    {
        Assert.True(attempt.TryGetProperty("resumed_from_byte", out var from), job.GetRawText());
        Assert.InRange(from.GetInt64(), 8 * MiB, Size - 8 * MiB);
        Assert.Equal(0, from.GetInt64() % (8 * MiB));
    }

    private async Task AssertDeliveredOnceAsync(string bucket, string sha, JsonElement job)
    {
        Assert.Equal(sha, job.GetProperty("sha256").GetString());
        using var obj = await rig.S3.Client.GetObjectAsync(bucket, "out.bin");
        Assert.Equal(sha, Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(obj.ResponseStream)));
        // The kept upload was completed, not abandoned beside a second one.
        Assert.Empty((await rig.S3.Client.ListMultipartUploadsAsync(bucket)).MultipartUploads ?? []);
    }

    private Task WaitForStoredPartsAsync(string bucket, int parts) =>
        Eventually.TrueAsync(async () =>
        {
            var uploads = (await rig.S3.Client.ListMultipartUploadsAsync(bucket)).MultipartUploads ?? [];
            return uploads.Count == 1 && ((await rig.S3.Client.ListPartsAsync(bucket, "out.bin", uploads[0].UploadId)).Parts ?? []).Count >= parts;
        }, $"{parts} parts were not stored");

    private async Task<(string Src, string Dst, string Bucket, string Sha)> EndpointsAsync(FerryClient client, FaultProxy proxy, int seed)
    {
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var sha = await RandomData.WriteFileAsync(Path.Combine(dir, "in.bin"), Size, seed);
        var bucket = await rig.S3.NewBucketAsync();
        var src = await client.RegisterSftpAsync(rig.Sftp, dir, port: proxy.Port);
        var dst = await client.RegisterS3Async(rig.S3, bucket);
        return (src, dst, bucket, sha);
    }

    private static async Task<string> OneJobAsync(FerryClient client, string src, string dst)
    {
        var reply = await client.TransferAsync(src, "in.bin", dst, "out.bin", FastRetries);
        Assert.True(reply.Status == System.Net.HttpStatusCode.Created, reply.Text);
        return reply.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString()!;
    }
}
