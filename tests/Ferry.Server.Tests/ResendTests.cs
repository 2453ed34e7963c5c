using System.Net;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>
/// A partner asks for a file again: a new transfer request of the unchanged file returns the job
/// that delivered it (its idempotency key is the file's identity), and a re-drive of that
/// SUCCEEDED job delivers it once more. Real sshd and Ceph RGW.
/// </summary>
[Collection("rig")]
public sealed class ResendTests(Rig rig, SharedServer shared) : IClassFixture<SharedServer>
{
    [Fact]
    public async Task ARedriveOfASucceededJob_DeliversTheFileAgain_Once()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var sha = await RandomData.WriteFileAsync(Path.Combine(dir, "daily.csv"), 70_000, seed: 71);
        var bucket = await rig.S3.NewBucketAsync();
        var src = await client.RegisterSftpAsync(rig.Sftp, dir);
        var dst = await client.RegisterS3Async(rig.S3, bucket);
        var first = await client.TransferAsync(src, "daily.csv", dst, "in/daily.csv");
        var firstId = first.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString()!;
        Assert.Equal("SUCCEEDED", (await client.WaitForJobAsync(firstId)).GetProperty("status").GetString());

        // The partner lost it. Asking for the same file again finds the job that delivered it.
        await rig.S3.Client.DeleteObjectAsync(bucket, "in/daily.csv");
        var again = await client.TransferAsync(src, "daily.csv", dst, "in/daily.csv");
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Equal(firstId, again.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString());

        var resend = await client.PostAsync($"v1/jobs/{firstId}/redrive", null);
        Assert.True(resend.Status == HttpStatusCode.Created, resend.Text);
        Assert.Equal(firstId, resend.Str("redrive_of"));
        var done = await client.WaitForJobAsync(resend.Str("job_id"));

        Assert.True(done.GetProperty("status").GetString() == "SUCCEEDED", done.GetRawText());
        Assert.Equal(sha, done.GetProperty("sha256").GetString());
        using var obj = await rig.S3.Client.GetObjectAsync(bucket, "in/daily.csv");
        Assert.Equal(sha, await TransferFlowTests.Sha256Async(obj.ResponseStream));
        // Asking twice (a client retrying) does not send it a third time.
        var twice = await client.PostAsync($"v1/jobs/{firstId}/redrive", null);
        Assert.Equal(HttpStatusCode.OK, twice.Status);
        Assert.Equal(resend.Str("job_id"), twice.Str("job_id"));
    }
}
