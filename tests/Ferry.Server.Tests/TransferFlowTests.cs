using System.Net;
using Amazon.S3.Model;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>The four flows end to end: HTTP request, engine, real sshd and Ceph RGW, byte-exact result.</summary>
[Collection("rig")]
public sealed class TransferFlowTests(Rig rig, SharedServer shared) : IClassFixture<SharedServer>
{
    private const long Size = 3 * 1024 * 1024 + 17;

    [Fact]
    public async Task AnEndpointsMaxConcurrency_HoldsAcrossTheJobsOfABatch()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        Directory.CreateDirectory(Path.Combine(dir, "in"));
        for (var i = 0; i < 4; i++)
        {
            await RandomData.WriteFileAsync(Path.Combine(dir, "in", $"f{i}.bin"), 256 * 1024, seed: 10 + i);
        }

        var src = await client.RegisterSftpAsync(rig.Sftp, dir, maxConcurrency: 1);
        var dst = await client.RegisterS3Async(rig.S3, await rig.S3.NewBucketAsync());

        var created = await client.TransferAsync(src, "in/", dst, "out/");
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var ids = created.Body.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("job_id").GetString()!).ToList();
        var jobs = await Task.WhenAll(ids.Select(id => client.WaitForJobAsync(id)));

        // The engine starts a wave of ready jobs at once; with one slot on the source they must
        // still have run one after another.
        Assert.Equal(4, jobs.Length);
        Assert.All(jobs, j => Assert.Equal("SUCCEEDED", j.GetProperty("status").GetString()));
        var runs = jobs.Select(j => (Start: j.GetProperty("started_at").GetDateTimeOffset(), End: j.GetProperty("finished_at").GetDateTimeOffset()))
            .OrderBy(r => r.Start).ToList();
        for (var i = 1; i < runs.Count; i++)
        {
            Assert.True(runs[i].Start >= runs[i - 1].End, $"job {i} started at {runs[i].Start:O}, before the previous one finished at {runs[i - 1].End:O}");
        }
    }

    [Fact]
    public async Task SftpToS3_JobSucceedsWithTheSourceChecksum()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var sha = await RandomData.WriteFileAsync(Path.Combine(dir, "in.bin"), Size, seed: 1);
        var bucket = await rig.S3.NewBucketAsync();
        var src = await client.RegisterSftpAsync(rig.Sftp, dir);
        var dst = await client.RegisterS3Async(rig.S3, bucket, "landing");

        var job = await RunOneAsync(client, src, "in.bin", dst, "out/in.bin");

        Assert.Equal(sha, job.GetProperty("sha256").GetString());
        Assert.Equal("sftp-to-s3", job.GetProperty("flow_type").GetString());
        using var obj = await rig.S3.Client.GetObjectAsync(bucket, "landing/out/in.bin");
        Assert.Equal(sha, await Sha256Async(obj.ResponseStream));
    }

    [Fact]
    public async Task S3ToSftp_DeliversAtomicallyWithTheSourceChecksum()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        var bucket = await rig.S3.NewBucketAsync();
        var sha = await RandomData.Sha256Async(Size, 2);
        await rig.S3.Client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "reports/r.bin", InputStream = new RandomData(Size, 2) });
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var src = await client.RegisterS3Async(rig.S3, bucket);
        var dst = await client.RegisterSftpAsync(rig.Sftp, dir);

        var job = await RunOneAsync(client, src, "reports/r.bin", dst, "inbox/");

        Assert.Equal(sha, job.GetProperty("sha256").GetString());
        Assert.Equal(sha, await RandomData.Sha256OfFileAsync(Path.Combine(dir, "inbox", "r.bin")));
        Assert.Empty(Directory.GetFiles(Path.Combine(dir, "inbox"), "*.part"));
    }

    [Fact]
    public async Task S3ToSftp_OnAServerRefusingPosixRename_ReplacesTheOldFile_AndTheAttemptSaysHow()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        var bucket = await rig.S3.NewBucketAsync();
        var sha = await RandomData.Sha256Async(Size, 3);
        await rig.S3.Client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "r.bin", InputStream = new RandomData(Size, 3) });
        var dir = SftpServer.NewDirectory(rig.Sftp.NoPosixRenameBase, rig.Sftp.NoPosixRenameUser);
        await File.WriteAllTextAsync(Path.Combine(dir, "r.bin"), "yesterday's file");
        var src = await client.RegisterS3Async(rig.S3, bucket);
        var dst = await client.RegisterSftpAsync(rig.Sftp, dir, username: rig.Sftp.NoPosixRenameUser);

        var job = await RunOneAsync(client, src, "r.bin", dst, "r.bin");

        Assert.Equal(sha, await RandomData.Sha256OfFileAsync(Path.Combine(dir, "r.bin")));
        Assert.Equal(["r.bin"], Directory.GetFiles(dir).Select(Path.GetFileName));
        var notes = job.GetProperty("attempts").EnumerateArray().Last().GetProperty("notes").EnumerateArray().Select(n => n.GetString()!);
        Assert.Contains(notes, n => n.Contains("no posix-rename", StringComparison.Ordinal));
    }

    [Fact]
    public async Task S3ToS3_CopiesServerSide()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        var from = await rig.S3.NewBucketAsync();
        var to = await rig.S3.NewBucketAsync();
        var sha = await RandomData.Sha256Async(Size, 3);
        await rig.S3.Client.PutObjectAsync(new PutObjectRequest { BucketName = from, Key = "a.bin", InputStream = new RandomData(Size, 3) });
        var src = await client.RegisterS3Async(rig.S3, from);
        var dst = await client.RegisterS3Async(rig.S3, to);

        var job = await RunOneAsync(client, src, "a.bin", dst, "copied/a.bin");

        Assert.Equal("s3-to-s3", job.GetProperty("flow_type").GetString());
        using var obj = await rig.S3.Client.GetObjectAsync(to, "copied/a.bin");
        Assert.Equal(sha, await Sha256Async(obj.ResponseStream));
    }

    [Fact]
    public async Task SftpToSftp_GoesThroughStagingAndLeavesNothingBehind()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        var fromDir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var toDir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var sha = await RandomData.WriteFileAsync(Path.Combine(fromDir, "x.bin"), Size, seed: 4);
        var src = await client.RegisterSftpAsync(rig.Sftp, fromDir);
        var dst = await client.RegisterSftpAsync(rig.Sftp, toDir);

        var job = await RunOneAsync(client, src, "x.bin", dst, "x.bin");

        Assert.Equal(sha, job.GetProperty("sha256").GetString());
        Assert.Equal(sha, await RandomData.Sha256OfFileAsync(Path.Combine(toDir, "x.bin")));
        var staging = Path.Combine(shared.Server.DataDirectory, "staging");
        Assert.Empty(Directory.GetFiles(staging, "*", SearchOption.AllDirectories));
        Assert.False(Directory.Exists(Path.Combine(staging, job.GetProperty("job_id").GetString()!)), "the job's staging directory is still there");
    }

    [Fact]
    public async Task GlobExpandsIntoOneJobPerMatchingFileUnderOneBatch()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        Directory.CreateDirectory(Path.Combine(dir, "sub"));
        foreach (var name in new[] { "a.csv", "b.csv", "c.txt", "sub/d.csv" })
        {
            await File.WriteAllTextAsync(Path.Combine(dir, name), name);
        }

        var bucket = await rig.S3.NewBucketAsync();
        var src = await client.RegisterSftpAsync(rig.Sftp, dir);
        var dst = await client.RegisterS3Async(rig.S3, bucket);

        var reply = await client.TransferAsync(src, "*.csv", dst, "in/");

        Assert.Equal(HttpStatusCode.Created, reply.Status);
        var jobs = reply.Body.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(["a.csv", "b.csv"], jobs.Select(j => j.GetProperty("source").GetProperty("path").GetString()).Order());
        Assert.All(jobs, j => Assert.Equal(reply.Str("batch_id"), j.GetProperty("batch_id").GetString()));
        // Long polling: the answer comes when the whole batch has finished.
        var finished = await client.GetAsync($"v1/batches/{reply.Str("batch_id")}?wait_seconds=60");
        Assert.Equal(0, finished.Body.GetProperty("unfinished").GetInt32());
        foreach (var j in jobs)
        {
            Assert.Equal("SUCCEEDED", (await client.GetAsync($"v1/jobs/{j.GetProperty("job_id").GetString()}")).Str("status"));
        }

        var listed = await rig.S3.Client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Equal(["in/a.csv", "in/b.csv"], listed.S3Objects.Select(o => o.Key).Order());
        var byBatch = await client.GetAsync($"v1/jobs?batch_id={reply.Str("batch_id")}");
        Assert.Equal(2, byBatch.Body.GetProperty("jobs").GetArrayLength());
        var batch = await client.GetAsync($"v1/batches/{reply.Str("batch_id")}");
        Assert.Equal((2, 0, 2), (batch.Body.GetProperty("jobs").GetInt32(), batch.Body.GetProperty("unfinished").GetInt32(),
            batch.Body.GetProperty("by_status").GetProperty("SUCCEEDED").GetInt32()));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("v1/batches/bat_unknown")).Status);
    }

    private static async Task<System.Text.Json.JsonElement> RunOneAsync(FerryClient client, string src, string srcPath, string dst, string dstPath)
    {
        var reply = await client.TransferAsync(src, srcPath, dst, dstPath);
        Assert.True(reply.Status == HttpStatusCode.Created, reply.Text);
        var jobId = reply.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString()!;
        var job = await client.WaitForJobAsync(jobId);
        Assert.True(job.GetProperty("status").GetString() == "SUCCEEDED", job.GetRawText());
        Assert.Equal(Size, job.GetProperty("bytes").GetInt64());
        var attempts = job.GetProperty("attempts");
        Assert.Equal(1, attempts.GetArrayLength());
        Assert.Equal("local", attempts[0].GetProperty("region").GetString());
        return job;
    }

    internal static async Task<string> Sha256Async(Stream s) =>
        Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(s));
}
