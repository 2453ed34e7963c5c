using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>
/// The Prometheus page of a running server after real transfers: jobs by status and flow (from the
/// store's counts, shared by every process), the queue depth, bytes delivered and finished jobs.
/// </summary>
[Collection("rig")]
public sealed class MetricsTests(Rig rig)
{
    [Fact]
    public async Task Metrics_CountJobsByStatusAndFlow_AndTheBytesDelivered()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        using var client = await FerryClient.NewCustomerAsync(server);
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        await RandomData.WriteFileAsync(Path.Combine(dir, "a.bin"), 100_000, seed: 61);
        await RandomData.WriteFileAsync(Path.Combine(dir, "b.bin"), 50_000, seed: 62);
        var sftp = await client.RegisterSftpAsync(rig.Sftp, dir);
        var s3 = await client.RegisterS3Async(rig.S3, await rig.S3.NewBucketAsync());
        foreach (var name in new[] { "a.bin", "b.bin" })
        {
            var reply = await client.TransferAsync(sftp, name, s3, name);
            Assert.Equal("SUCCEEDED", (await client.WaitForJobAsync(reply.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString()!)).GetProperty("status").GetString());
        }

        // The job counts are refreshed every 5 s.
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string page;
        while (PrometheusPage.Value(page = await http.GetStringAsync("metrics"), "ferry_jobs", "flow=\"sftp-to-s3\"", "status=\"SUCCEEDED\"") != 2)
        {
            Assert.True(DateTime.UtcNow < deadline, page);
            await Task.Delay(500);
        }

        Assert.Equal(0, PrometheusPage.Value(page, "ferry_queue_depth"));
        Assert.Equal(150_000, PrometheusPage.Value(page, "ferry_transfer_bytes_total"));
        Assert.Equal(2, PrometheusPage.Value(page, "ferry_jobs_finished_total", "status=\"SUCCEEDED\""));
    }
}
