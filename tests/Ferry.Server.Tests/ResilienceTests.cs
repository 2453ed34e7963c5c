using Amazon.S3;
using Amazon.S3.Model;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>
/// Failures for real: connections cut mid-transfer, credentials revoked, the server killed with
/// SIGKILL or stopped with SIGTERM mid-transfer. Each test runs its own server.
/// </summary>
[Collection("rig")]
public sealed class ResilienceTests(Rig rig)
{
    private static readonly object FastRetries = new { retry = new { max_attempts = 5, initial_backoff_seconds = 0.3, max_backoff_seconds = 1 } };

    [Fact]
    public async Task ConnectionsCutMidTransfer_JobSucceedsAfterARetry()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        using var client = await FerryClient.NewCustomerAsync(server);
        const long size = 24L * 1024 * 1024;
        var (bucket, sha) = await SourceObjectAsync(size, seed: 11);
        await using var proxy = new FaultProxy(rig.Sftp.Host, rig.Sftp.Port);
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var src = await client.RegisterS3Async(rig.S3, bucket);
        var dst = await client.RegisterSftpAsync(rig.Sftp, dir, port: proxy.Port);

        // The partner's server "restarts" a quarter of the way in and is unreachable for a moment.
        proxy.CutAfter(size / 4, TimeSpan.FromSeconds(1));
        var job = await client.WaitForJobAsync(await OneJobAsync(client, src, "data.bin", dst, "data.bin", FastRetries));

        Assert.True(job.GetProperty("status").GetString() == "SUCCEEDED", job.GetRawText());
        Assert.Equal(1, proxy.Cuts);
        var attempts = job.GetProperty("attempts").EnumerateArray().ToList();
        Assert.True(attempts.Count >= 2, job.GetRawText());
        Assert.True(attempts[0].GetProperty("outcome").GetString() == "retrying", job.GetRawText());
        Assert.True(attempts[0].GetProperty("error_code").GetString() is "CONNECTION_FAILED" or "TIMEOUT", job.GetRawText());
        Assert.Equal(sha, await RandomData.Sha256OfFileAsync(Path.Combine(dir, "data.bin")));
        Assert.Empty(Directory.GetFiles(dir, "*.part"));
    }

    [Fact]
    public async Task CredentialsRevoked_JobFailsAtOnceWithAClearCode()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        using var client = await FerryClient.NewCustomerAsync(server);
        var (bucket, _) = await SourceObjectAsync(1024, seed: 12);
        var uid = "partner-" + Guid.NewGuid().ToString("N")[..8];
        var (access, secret) = await rig.S3.CreateUserAsync(uid);
        var partnerBucket = "p-" + Guid.NewGuid().ToString("N")[..12];
        using (var partner = new AmazonS3Client(access, secret, new AmazonS3Config { ServiceURL = rig.S3.Endpoint, ForcePathStyle = true }))
        {
            await partner.PutBucketAsync(partnerBucket);
        }

        var src = await client.RegisterS3Async(rig.S3, bucket);
        var created = await client.PostAsync("v1/endpoints", new
        {
            name = "partner bucket", type = "s3",
            s3 = new { bucket = partnerBucket, region = "us-east-1", service_url = rig.S3.Endpoint },
            credentials = new { access_key_id = access, secret_access_key = secret },
        });
        Assert.True(created.Status == System.Net.HttpStatusCode.Created, created.Text);
        await rig.S3.SuspendUserAsync(uid);

        var job = await client.WaitForJobAsync(await OneJobAsync(client, src, "data.bin", created.Str("endpoint_id"), "data.bin", FastRetries));

        Assert.Equal("FAILED", job.GetProperty("status").GetString());
        Assert.Contains(job.GetProperty("error_code").GetString(), new[] { "AUTHENTICATION_FAILED", "PERMISSION_DENIED" });
        Assert.Contains(partnerBucket, job.GetProperty("error_message").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, job.GetProperty("attempt_count").GetInt32());
    }

    [Fact]
    public async Task ServerKilledMidTransfer_JobCompletesAfterRestart_DeliveredOnce()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        using var client = await FerryClient.NewCustomerAsync(server);
        await using var proxy = new FaultProxy(rig.Sftp.Host, rig.Sftp.Port, bytesPerSecond: SlowBytesPerSecond / 2);
        var (jobId, dir, sha) = await StartSlowTransferAsync(client, proxy, seed: 13, partFileBytes: 12L * 1024 * 1024);

        // A lease renewal (every 2 s with the tests' 6 s lease) saves the part file's progress first.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await server.KillAsync();
        Assert.False(File.Exists(Path.Combine(dir, "data.bin")));
        await server.StartAsync();
        var job = await client.WaitForJobAsync(jobId);

        Assert.True(job.GetProperty("status").GetString() == "SUCCEEDED", job.GetRawText());
        var attempts = job.GetProperty("attempts").EnumerateArray().ToList();
        Assert.Equal(2, attempts.Count);
        Assert.Equal("worker_lost", attempts[0].GetProperty("outcome").GetString());
        AssertContinuedThePartFile(attempts[1], job);
        Assert.Equal(sha, await RandomData.Sha256OfFileAsync(Path.Combine(dir, "data.bin")));
        Assert.Equal(["data.bin"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task SigtermMidTransfer_ReleasesTheLease_AndTheNextStartFinishesTheJob()
    {
        await using var server = new ServerProcess(new Dictionary<string, string> { ["FERRY__SHUTDOWNGRACESECONDS"] = "1", ["FERRY__LEASESECONDS"] = "120" });
        await server.StartAsync();
        using var client = await FerryClient.NewCustomerAsync(server);
        await using var proxy = new FaultProxy(rig.Sftp.Host, rig.Sftp.Port, bytesPerSecond: SlowBytesPerSecond);
        var (jobId, dir, sha) = await StartSlowTransferAsync(client, proxy, seed: 14, partFileBytes: 12L * 1024 * 1024);

        Assert.Equal(0, await server.StopAsync(TimeSpan.FromSeconds(30)));
        // The part file stays for the next start to continue; the release saved how far it got.
        Assert.Single(Directory.GetFiles(dir, "*.part"));
        // The lease is 120 s: only a released lease lets the restarted server pick the job up at once.
        await server.StartAsync();
        var job = await client.WaitForJobAsync(jobId, TimeSpan.FromSeconds(60));

        Assert.True(job.GetProperty("status").GetString() == "SUCCEEDED", job.GetRawText());
        Assert.Equal("released", job.GetProperty("attempts")[0].GetProperty("outcome").GetString());
        AssertContinuedThePartFile(job.GetProperty("attempts")[1], job);
        Assert.Equal(sha, await RandomData.Sha256OfFileAsync(Path.Combine(dir, "data.bin")));
        Assert.Empty(Directory.GetFiles(dir, "*.part"));
    }

    /// <summary>8 MiB/s through the proxy: a 40 MiB transfer takes about five seconds, long enough to interrupt in the middle.</summary>
    private const long SlowBytesPerSecond = 8L * 1024 * 1024;

    /// <summary>The attempt continued the part file from a checkpoint (taken as reading passes every 8 MiB, once the server confirmed the bytes).</summary>
    private static void AssertContinuedThePartFile(System.Text.Json.JsonElement attempt, System.Text.Json.JsonElement job)
    {
        Assert.True(attempt.TryGetProperty("resumed_from_byte", out var from), job.GetRawText());
        Assert.InRange(from.GetInt64(), 8L * 1024 * 1024, 32L * 1024 * 1024);
    }

    /// <summary>S3 to SFTP through <paramref name="proxy"/>; returns once the target's part file has <paramref name="partFileBytes"/>.</summary>
    private async Task<(string JobId, string Dir, string Sha)> StartSlowTransferAsync(FerryClient client, FaultProxy proxy, int seed, long partFileBytes)
    {
        var (bucket, sha) = await SourceObjectAsync(40L * 1024 * 1024, seed);
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var src = await client.RegisterS3Async(rig.S3, bucket);
        var dst = await client.RegisterSftpAsync(rig.Sftp, dir, port: proxy.Port);
        var jobId = await OneJobAsync(client, src, "data.bin", dst, "data.bin");
        await WaitForPartFileAsync(dir, partFileBytes);
        return (jobId, dir, sha);
    }

    private async Task<(string Bucket, string Sha)> SourceObjectAsync(long size, int seed)
    {
        var bucket = await rig.S3.NewBucketAsync();
        await rig.S3.Client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "data.bin", InputStream = new RandomData(size, seed) });
        return (bucket, await RandomData.Sha256Async(size, seed));
    }

    private static async Task<string> OneJobAsync(FerryClient client, string src, string srcPath, string dst, string dstPath, object? policy = null)
    {
        var reply = await client.TransferAsync(src, srcPath, dst, dstPath, policy);
        Assert.True(reply.Status == System.Net.HttpStatusCode.Created, reply.Text);
        return reply.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString()!;
    }

    /// <summary>Waits until the target's .part file has grown past <paramref name="bytes"/>.</summary>
    private static async Task WaitForPartFileAsync(string dir, long bytes)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!Directory.GetFiles(dir, "*.part").Any(f => new FileInfo(f).Length > bytes))
        {
            Assert.True(DateTime.UtcNow < deadline, "no transfer started within 60 s");
            await Task.Delay(50);
        }
    }
}
