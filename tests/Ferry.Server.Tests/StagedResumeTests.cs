using System.Net;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>
/// SFTP to SFTP interrupted in its first pass (the partner's file read once into the staging copy
/// and the target's part file): the retry continues both writes and reads only the rest of the
/// partner's file, instead of all of it again; and once the staging copy is whole, retries deliver
/// that copy and leave the partner's server alone. Real sshd on both sides, behind proxies that
/// cut connections, refuse them, and count what passes.
/// </summary>
[Collection("rig")]
public sealed class StagedResumeTests(Rig rig)
{
    private const long MiB = 1024 * 1024;
    private const long Size = 40 * MiB;

    [Fact]
    public async Task PartnerConnectionCut_TheRetryContinuesStagingAndDelivery_ReadingOnlyTheRest()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        using var client = await FerryClient.NewCustomerAsync(server);
        await using var proxy = new FaultProxy(rig.Sftp.Host, rig.Sftp.Port, bytesPerSecond: 8 * MiB);
        var partner = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var inbox = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var sha = await RandomData.WriteFileAsync(Path.Combine(partner, "big.bin"), Size, seed: 51);
        var src = await client.RegisterSftpAsync(rig.Sftp, partner, port: proxy.Port);
        var dst = await client.RegisterSftpAsync(rig.Sftp, inbox);

        proxy.CutAfter(30 * MiB, TimeSpan.FromSeconds(1));
        var reply = await client.TransferAsync(src, "big.bin", dst, "big.bin",
            new { retry = new { max_attempts = 5, initial_backoff_seconds = 0.3, max_backoff_seconds = 1 } });
        var jobId = reply.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString()!;
        var job = await client.WaitForJobAsync(jobId, TimeSpan.FromSeconds(120));

        Assert.True(job.GetProperty("status").GetString() == "SUCCEEDED", job.GetRawText());
        Assert.Equal(1, proxy.Cuts);
        Assert.Equal(sha, job.GetProperty("sha256").GetString());
        Assert.Equal(sha, await RandomData.Sha256OfFileAsync(Path.Combine(inbox, "big.bin")));
        // Staging checkpoints every 16 MiB, the part file every 8: both held 16 MiB by the cut.
        var resumed = job.GetProperty("attempts").EnumerateArray().Last();
        Assert.True(resumed.TryGetProperty("resumed_from_byte", out var from), job.GetRawText());
        Assert.InRange(from.GetInt64(), 16 * MiB, Size - 1);
        Assert.Equal(0, from.GetInt64() % (8 * MiB));
        // Nothing left behind: no part file at the target, no staging copy once delivered.
        Assert.Equal(["big.bin"], Directory.GetFiles(inbox).Select(Path.GetFileName));
        var staging = Path.Combine(server.DataDirectory, "staging", jobId);
        Assert.False(Directory.Exists(staging), $"{staging} is still there"); // the copy and its directory
    }

    [Fact]
    public async Task TargetDownThroughTheFirstPass_RetriesDeliverTheStagedCopy_AndThePostActionStillRuns()
    {
        const long size = 24 * MiB;
        await using var server = new ServerProcess();
        await server.StartAsync();
        using var client = await FerryClient.NewCustomerAsync(server);
        await using var partnerLink = new FaultProxy(rig.Sftp.Host, rig.Sftp.Port);
        await using var targetLink = new FaultProxy(rig.Sftp.Host, rig.Sftp.Port);
        var partner = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var inbox = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        Directory.CreateDirectory(Path.Combine(partner, "out"));
        SftpServer.Chown(Path.Combine(partner, "out"), rig.Sftp.Ed25519User);
        var sha = await PartnerSetup.OldFileAsync(partner, "out/big.bin", size, seed: 52, new DateTime(2026, 3, 14, 12, 0, 0, DateTimeKind.Utc));
        var src = await client.RegisterSftpAsync(rig.Sftp, partner, port: partnerLink.Port);
        var dst = await client.RegisterSftpAsync(rig.Sftp, inbox, port: targetLink.Port);
        var schedule = await client.PostAsync("v1/schedules", new
        {
            name = "pull, deliver to a target that is down",
            source = new { endpoint_id = src, path = "out" },
            target = new { endpoint_id = dst, path = "{name}" },
            trigger = new { interval_seconds = 3600 },
            min_age_seconds = 0,
            stable_seconds = 0,
            policy = new { retry = new { max_attempts = 20, initial_backoff_seconds = 0.3, max_backoff_seconds = 0.5 } },
            after_success = new { action = "delete" },
        });
        Assert.True(schedule.Status == HttpStatusCode.Created, schedule.Text);

        targetLink.GoDown();
        var before = partnerLink.Forwarded;
        var run = await client.PostAsync($"v1/schedules/{schedule.Str("schedule_id")}/run", null);
        Assert.True(run.Status == HttpStatusCode.OK && run.Body.GetProperty("jobs_created").GetInt32() == 1, run.Text);
        var decision = (await client.GetAsync($"v1/schedules/{schedule.Str("schedule_id")}/decisions?path=big.bin&limit=1")).Body.GetProperty("decisions")[0];
        var jobId = decision.GetProperty("job_id").GetString()!;
        // The first attempt stages the whole file and fails to deliver it; two more fail to deliver it too.
        await WaitForAttemptsEndedAsync(client, jobId, 3);
        targetLink.ComeBack();
        var job = await client.WaitForJobAsync(jobId, TimeSpan.FromSeconds(120));

        Assert.True(job.GetProperty("status").GetString() == "SUCCEEDED", job.GetRawText());
        Assert.Equal(sha, job.GetProperty("sha256").GetString());
        Assert.Equal(sha, await RandomData.Sha256OfFileAsync(Path.Combine(inbox, "big.bin")));
        Assert.Equal(["big.bin"], Directory.GetFiles(inbox).Select(Path.GetFileName));
        // Read from the partner once, by the first attempt; every retry (three or more) delivered the staged copy.
        var read = partnerLink.Forwarded - before;
        Assert.True(read is >= size and < size + size / 4, $"{read} bytes passed to and from the partner for a {size}-byte file");
        var attempts = job.GetProperty("attempts").EnumerateArray().ToList();
        Assert.True(attempts.Count >= 4, job.GetRawText());
        Assert.Contains(attempts[^1].GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("without reading the source again", StringComparison.Ordinal));
        // The post-action ran against the partner's file, which is still the version that was staged.
        Assert.False(File.Exists(Path.Combine(partner, "out/big.bin")), "the partner's file should be deleted once delivered");
        var staging = Path.Combine(server.DataDirectory, "staging", jobId);
        Assert.False(Directory.Exists(staging), $"{staging} is still there"); // the copy and its directory
    }

    private static async Task WaitForAttemptsEndedAsync(FerryClient client, string jobId, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            var job = (await client.GetAsync($"v1/jobs/{jobId}")).Body;
            var ended = job.GetProperty("attempts").EnumerateArray().Count(a => a.TryGetProperty("outcome", out var o) && o.GetString() == "retrying");
            Assert.True(job.GetProperty("status").GetString() is "QUEUED" or "RUNNING", job.GetRawText());
            if (ended >= count)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"expected {count} failed attempts: {job.GetRawText()}");
            await Task.Delay(100);
        }
    }
}
