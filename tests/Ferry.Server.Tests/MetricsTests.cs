using System.Text.RegularExpressions;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>
/// The Prometheus page of a running server after real transfers: jobs by status and flow (from the
/// store's counts, shared by every process), the queue depth, bytes delivered and finished jobs.
/// </summary>
[Collection("rig")]
public sealed partial class MetricsTests(Rig rig)
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
        while (Value(page = await http.GetStringAsync("metrics"), "ferry_jobs", "flow=\"sftp-to-s3\"", "status=\"SUCCEEDED\"") != 2)
        {
            Assert.True(DateTime.UtcNow < deadline, page);
            await Task.Delay(500);
        }

        Assert.Equal(0, Value(page, "ferry_queue_depth"));
        Assert.Equal(150_000, Value(page, "ferry_transfer_bytes_total"));
        Assert.Equal(2, Value(page, "ferry_jobs_finished_total", "status=\"SUCCEEDED\""));
    }

    /// <summary>The value of the one sample of <paramref name="metric"/> whose labels include all of <paramref name="labels"/>; null if none.</summary>
    private static double? Value(string page, string metric, params string[] labels)
    {
        var samples = page.Split('\n')
            .Select(line => SampleLine().Match(line))
            .Where(m => m.Success && m.Groups["name"].Value == metric && labels.All(l => m.Groups["labels"].Value.Contains(l, StringComparison.Ordinal)))
            .Select(m => double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        return samples.Count == 1 ? samples[0] : samples.Count == 0 ? null : throw new InvalidOperationException($"{samples.Count} samples of {metric} match");
    }

    [GeneratedRegex(@"^(?<name>[a-z_]+)(\{(?<labels>[^}]*)\})? (?<value>[0-9.eE+-]+)")]
    private static partial Regex SampleLine();
}
