using System.Net;
using Ferry.Server.Hosting;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Ferry.Server.Tests;

/// <summary>SFTP-to-SFTP re-drive from the staged copy (real sshd on both sides), and the staging sweep.</summary>
[Collection("rig")]
public sealed class StagingRedriveTests(Rig rig, SharedServer shared) : IClassFixture<SharedServer>
{
    [Fact]
    public async Task ARedrive_DeliversTheStagedCopy_WithoutReadingTheSourceAgain()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        var partner = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var inbox = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        // The target directory belongs to root: the SFTP user cannot write there until it is fixed.
        Directory.CreateDirectory(Path.Combine(inbox, "in"));
        var sha = await RandomData.WriteFileAsync(Path.Combine(partner, "big.dat"), 300_000, seed: 41);
        var src = await client.RegisterSftpAsync(rig.Sftp, partner);
        var dst = await client.RegisterSftpAsync(rig.Sftp, inbox);

        var transfer = await client.TransferAsync(src, "big.dat", dst, "in/big.dat");
        var failedId = transfer.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString()!;
        var failed = await client.WaitForJobAsync(failedId);
        Assert.Equal("FAILED", failed.GetProperty("status").GetString());
        Assert.Equal("PERMISSION_DENIED", failed.GetProperty("error_code").GetString());
        var staged = Path.Combine(shared.Server.DataDirectory, "staging", failedId, "big.dat");
        Assert.True(File.Exists(staged), "the failed job's staged copy should be kept for a re-drive");

        // The partner has moved on (the file is gone from its server) and the inbox is fixed.
        File.Delete(Path.Combine(partner, "big.dat"));
        SftpServer.Chown(Path.Combine(inbox, "in"), rig.Sftp.Ed25519User);
        var redrive = await client.PostAsync($"v1/jobs/{failedId}/redrive", null);
        Assert.Equal(HttpStatusCode.Created, redrive.Status);
        var done = await client.WaitForJobAsync(redrive.Str("job_id"));

        Assert.Equal("SUCCEEDED", done.GetProperty("status").GetString());
        Assert.Equal(sha, await RandomData.Sha256OfFileAsync(Path.Combine(inbox, "in/big.dat")));
        Assert.False(File.Exists(staged), "the staged copy is removed once delivered");
        var events = (await client.GetAsync($"v1/jobs/{redrive.Str("job_id")}/events")).Body.GetProperty("events");
        Assert.Contains("staged copy", events.EnumerateArray().Last().GetProperty("detail").GetString());
    }

    [Fact]
    public async Task ARedriveOfAFailedRedrive_StillDeliversTheStagedCopy()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        var partner = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var inbox = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        Directory.CreateDirectory(Path.Combine(inbox, "in")); // root's: not writable for the SFTP user
        var sha = await RandomData.WriteFileAsync(Path.Combine(partner, "twice.dat"), 200_000, seed: 43);
        var src = await client.RegisterSftpAsync(rig.Sftp, partner);
        var dst = await client.RegisterSftpAsync(rig.Sftp, inbox);
        var transfer = await client.TransferAsync(src, "twice.dat", dst, "in/twice.dat");
        var firstId = transfer.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString()!;
        Assert.Equal("FAILED", (await client.WaitForJobAsync(firstId)).GetProperty("status").GetString());
        File.Delete(Path.Combine(partner, "twice.dat"));

        // Re-driven before the inbox is fixed: delivered from the staged copy, and refused again.
        var second = await client.PostAsync($"v1/jobs/{firstId}/redrive", null);
        var secondDone = await client.WaitForJobAsync(second.Str("job_id"));
        Assert.Equal("FAILED", secondDone.GetProperty("status").GetString());
        Assert.Equal("PERMISSION_DENIED", secondDone.GetProperty("error_code").GetString());

        SftpServer.Chown(Path.Combine(inbox, "in"), rig.Sftp.Ed25519User);
        var third = await client.PostAsync($"v1/jobs/{second.Str("job_id")}/redrive", null);
        var done = await client.WaitForJobAsync(third.Str("job_id"));

        // The source is gone, so only the first job's staged copy can have been delivered.
        Assert.Equal("SUCCEEDED", done.GetProperty("status").GetString());
        Assert.Equal(sha, await RandomData.Sha256OfFileAsync(Path.Combine(inbox, "in/twice.dat")));
        Assert.False(Directory.Exists(Path.Combine(shared.Server.DataDirectory, "staging", firstId)), "the staged copy is removed once delivered, its directory with it");
    }

    [Fact]
    public void TheSweep_RemovesOnlyCopiesOlderThanTheRetention()
    {
        var root = Path.Combine(Path.GetTempPath(), "ferry-sweep-" + Guid.NewGuid().ToString("N")[..8]);
        var data = new DataDirectory(root);
        data.Create();
        var now = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
        string Stage(string job, int daysAgo)
        {
            var file = Path.Combine(data.Staging, job, "f.bin");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, job);
            File.SetLastWriteTimeUtc(file, now.UtcDateTime.AddDays(-daysAgo));
            Directory.SetLastWriteTimeUtc(Path.GetDirectoryName(file)!, now.UtcDateTime.AddDays(-daysAgo));
            return file;
        }

        var old = Stage("job_old", 8);
        var recent = Stage("job_recent", 6);
        var sweeper = new StagingSweeper(data, new FerryOptions { StagingRetentionDays = 7 }, NullLogger<StagingSweeper>.Instance, new FakeTimeProvider(now));

        Assert.Equal(1, sweeper.Sweep());
        Assert.False(File.Exists(old));
        Assert.True(File.Exists(recent));
        Directory.Delete(root, recursive: true);
    }
}
