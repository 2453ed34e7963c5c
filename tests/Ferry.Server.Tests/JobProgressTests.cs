using System.Net;
using System.Text.Json;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>A running job shows how far its transfer has got (from the checkpoints its lease renewals save), and a finished one does not.</summary>
[Collection("rig")]
public sealed class JobProgressTests(Rig rig)
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public async Task ALargeTransfer_ShowsTheBytesAtTheTargetGrowing_WhileItRuns()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        using var client = await FerryClient.NewCustomerAsync(server);
        // 40 MiB at 4 MiB/s: about ten seconds, with a lease renewal (and its checkpoint) every 2 s.
        await using var proxy = new FaultProxy(rig.Sftp.Host, rig.Sftp.Port, 4 * MiB);
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        await RandomData.WriteFileAsync(Path.Combine(dir, "big.bin"), 40 * MiB, seed: 12);
        var bucket = await rig.S3.NewBucketAsync();
        var src = await client.RegisterSftpAsync(rig.Sftp, dir, port: proxy.Port);
        var dst = await client.RegisterS3Async(rig.S3, bucket);
        var reply = await client.TransferAsync(src, "big.bin", dst, "big.bin");
        Assert.True(reply.Status == HttpStatusCode.Created, reply.Text);
        var jobId = reply.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString()!;

        var samples = new List<(long Bytes, long Total, DateTimeOffset AsOf)>();
        JsonElement job;
        while (true)
        {
            job = (await client.GetAsync($"v1/jobs/{jobId}")).Body;
            if (job.GetProperty("status").GetString() is "SUCCEEDED" or "FAILED")
            {
                break;
            }

            if (job.TryGetProperty("progress", out var p))
            {
                samples.Add((p.GetProperty("bytes_at_target").GetInt64(), p.GetProperty("total_bytes").GetInt64(), p.GetProperty("as_of").GetDateTimeOffset()));
            }

            await Task.Delay(200);
        }

        Assert.Equal("SUCCEEDED", job.GetProperty("status").GetString());
        Assert.False(job.TryGetProperty("progress", out _), "a finished job shows no progress");
        Assert.All(samples, s => Assert.Equal(40 * MiB, s.Total));
        Assert.Contains(samples, s => s.Bytes > 0 && s.Bytes < 40 * MiB);
        Assert.True(samples.Select(s => s.Bytes).Distinct().Count() >= 2, string.Join(", ", samples));
        Assert.Equal(samples.Select(s => s.Bytes).Order(), samples.Select(s => s.Bytes)); // it only grows
        Assert.Equal(samples.Select(s => s.AsOf).Order(), samples.Select(s => s.AsOf));
    }
}
