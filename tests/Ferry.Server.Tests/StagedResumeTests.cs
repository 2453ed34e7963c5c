using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>
/// SFTP to SFTP interrupted in its first pass (the partner's file read once into the staging copy
/// and the target's part file): the retry continues both writes and reads only the rest of the
/// partner's file, instead of all of it again. Real sshd on both sides; the partner behind a proxy
/// that cuts the connection.
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
        Assert.True(!Directory.Exists(staging) || Directory.GetFiles(staging).Length == 0, string.Join(", ", Directory.GetFiles(staging)));
    }
}
