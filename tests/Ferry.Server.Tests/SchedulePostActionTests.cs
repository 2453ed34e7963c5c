using System.Net;
using System.Text.Json;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>Post-actions (delete, archive) on a real sshd source, delivering into a real RGW bucket.</summary>
[Collection("rig")]
public sealed class SchedulePostActionTests(Rig rig, SharedServer shared) : IClassFixture<SharedServer>
{
    private static readonly DateTime LongAgo = new(2026, 3, 14, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task Delete_RemovesTheSourceOnlyAfterTheDeliveryIsVerified()
    {
        var (client, dir, src, dst, bucket) = await SetUpAsync();
        using var _ = client;
        var sha = await OldFileAsync(dir, "out/a.csv", 5000, seed: 11);
        var id = await CreateAsync(client, src, dst, "out", new { action = "delete" });

        var job = await RunOneAsync(client, id, "a.csv");

        Assert.Equal("SUCCEEDED", job.GetProperty("status").GetString());
        Assert.False(File.Exists(Path.Combine(dir, "out/a.csv")), "the source should be deleted");
        using var obj = await rig.S3.Client.GetObjectAsync(bucket, "in/a.csv");
        Assert.Equal(sha, await TransferFlowTests.Sha256Async(obj.ResponseStream));
        var kinds = await EventKindsAsync(client, job);
        Assert.True(kinds.IndexOf("verified") > kinds.IndexOf("verifying"), string.Join(",", kinds));
        Assert.Equal("succeeded", kinds[^1]);
        var succeeded = (await client.GetAsync($"v1/jobs/{job.GetProperty("job_id").GetString()}/events")).Body.GetProperty("events").EnumerateArray().Last();
        Assert.Contains("source deleted", succeeded.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Move_ArchivesTheSourceUnderItsTemplatePath()
    {
        var (client, dir, src, dst, _) = await SetUpAsync();
        using var _c = client;
        var sha = await OldFileAsync(dir, "out/b.xml", 1234, seed: 12);
        var id = await CreateAsync(client, src, dst, "out", new { action = "move", archive_path = "archive/{date:yyyy-MM-dd}/{name}" });

        var job = await RunOneAsync(client, id, "b.xml");

        Assert.Equal("SUCCEEDED", job.GetProperty("status").GetString());
        Assert.False(File.Exists(Path.Combine(dir, "out/b.xml")));
        var archived = Path.Combine(dir, "archive/2026-03-14/b.xml");
        Assert.True(File.Exists(archived), "expected the file in the archive");
        Assert.Equal(sha, await RandomData.Sha256OfFileAsync(archived));
    }

    [Fact]
    public async Task AResend_ReadsTheArchivedFile_WithoutMovingItAgain_AndADeletedSourceIsAClearConflict()
    {
        var (client, dir, src, dst, bucket) = await SetUpAsync();
        using var _c = client;
        var sha = await OldFileAsync(dir, "out/r.bin", 4321, seed: 15);
        var moving = await CreateAsync(client, src, dst, "out", new { action = "move", archive_path = "archive/{name}" });
        var moved = await RunOneAsync(client, moving, "r.bin");
        Assert.Equal("SUCCEEDED", moved.GetProperty("status").GetString());
        await rig.S3.Client.DeleteObjectAsync(bucket, "in/r.bin");

        var resend = await client.PostAsync($"v1/jobs/{moved.GetProperty("job_id").GetString()}/redrive", null);
        Assert.True(resend.Status == HttpStatusCode.Created, resend.Text);
        Assert.Equal("archive/r.bin", resend.Body.GetProperty("source").GetProperty("path").GetString());
        var done = await client.WaitForJobAsync(resend.Str("job_id"));

        Assert.True(done.GetProperty("status").GetString() == "SUCCEEDED", done.GetRawText());
        using (var obj = await rig.S3.Client.GetObjectAsync(bucket, "in/r.bin"))
        {
            Assert.Equal(sha, await TransferFlowTests.Sha256Async(obj.ResponseStream));
        }

        Assert.True(File.Exists(Path.Combine(dir, "archive/r.bin")), "a resend must not run the post-action again");
        Assert.False(done.GetProperty("policy").TryGetProperty("after_success", out _), done.GetRawText());

        await OldFileAsync(dir, "out/s.bin", 999, seed: 16);
        var deleting = await CreateAsync(client, src, dst, "out", new { action = "delete" });
        var deleted = await RunOneAsync(client, deleting, "s.bin");
        Assert.Equal("SUCCEEDED", deleted.GetProperty("status").GetString());
        var refused = await client.PostAsync($"v1/jobs/{deleted.GetProperty("job_id").GetString()}/redrive", null);
        Assert.True(refused.Status == HttpStatusCode.Conflict, refused.Text);
        Assert.Contains("nothing left to send", refused.Str("detail"));
    }

    [Fact]
    public async Task AFailedDelivery_LeavesTheSourceAlone()
    {
        var (client, dir, src, dst, bucket) = await SetUpAsync();
        using var _c = client;
        await OldFileAsync(dir, "out/c.bin", 300, seed: 13);
        await rig.S3.Client.PutObjectAsync(new() { BucketName = bucket, Key = "in/c.bin", ContentBody = "a different file already there" });
        var id = await CreateAsync(client, src, dst, "out", new { action = "delete" }, policy: new { overwrite = "fail_if_exists" });

        var job = await RunOneAsync(client, id, "c.bin");

        Assert.Equal("FAILED", job.GetProperty("status").GetString());
        Assert.Equal("ALREADY_EXISTS", job.GetProperty("error_code").GetString());
        Assert.True(File.Exists(Path.Combine(dir, "out/c.bin")), "a file that was not delivered must stay at the source");
        Assert.DoesNotContain("verified", await EventKindsAsync(client, job));
    }

    [Fact]
    public async Task APostActionThatCannotBeDone_FailsTheJobSayingTheFileWasDelivered()
    {
        var (client, dir, src, dst, bucket) = await SetUpAsync();
        using var _c = client;
        // A directory the SFTP user may read but not change: the delete is refused by the server.
        Directory.CreateDirectory(Path.Combine(dir, "locked"));
        var sha = await OldFileAsync(dir, "locked/d.bin", 700, seed: 14);
        var id = await CreateAsync(client, src, dst, "locked", new { action = "delete" });

        var job = await RunOneAsync(client, id, "d.bin");

        Assert.Equal("FAILED", job.GetProperty("status").GetString());
        Assert.Equal("POST_ACTION_FAILED", job.GetProperty("error_code").GetString());
        Assert.Contains("delivered and verified", job.GetProperty("error_message").GetString());
        Assert.True(File.Exists(Path.Combine(dir, "locked/d.bin")));
        using var obj = await rig.S3.Client.GetObjectAsync(bucket, "in/d.bin");
        Assert.Equal(sha, await TransferFlowTests.Sha256Async(obj.ResponseStream));
    }

    [Fact]
    public async Task BadPostActions_AreRefusedNamingTheField()
    {
        var (client, _, src, dst, _) = await SetUpAsync();
        using var _c = client;
        async Task ExpectAsync(string field, object afterSuccess, bool recursive = false)
        {
            var reply = await client.PostAsync("v1/schedules", Body(src, dst, "out", afterSuccess, recursive: recursive));
            Assert.True(reply.Status == HttpStatusCode.BadRequest, $"{field}: {reply.Status} {reply.Text}");
            Assert.True(reply.Body.GetProperty("errors").TryGetProperty(field, out _), $"expected an error on {field}: {reply.Text}");
        }

        await ExpectAsync("after_success.action", new { action = "shred" });
        await ExpectAsync("after_success.archive_path", new { action = "move" });
        await ExpectAsync("after_success.archive_path", new { action = "delete", archive_path = "archive/" });
        await ExpectAsync("after_success.archive_path", new { action = "move", archive_path = "../elsewhere/{name}" });
        await ExpectAsync("after_success.archive_path", new { action = "move", archive_path = "out/{name}.sent" });
        await ExpectAsync("after_success.archive_path", new { action = "move", archive_path = "out/done/{name}" }, recursive: true);
        var fine = await client.PostAsync("v1/schedules", Body(src, dst, "out", new { action = "move", archive_path = "out/done/{name}" }));
        Assert.True(fine.Status == HttpStatusCode.Created, fine.Text);
        Assert.Equal("move", fine.Body.GetProperty("after_success").GetProperty("action").GetString());
    }

    private async Task<(FerryClient Client, string Dir, string Src, string Dst, string Bucket)> SetUpAsync()
    {
        var p = await PartnerSetup.CreateAsync(rig, shared);
        Directory.CreateDirectory(Path.Combine(p.Dir, "out"));
        SftpServer.Chown(Path.Combine(p.Dir, "out"), rig.Sftp.Ed25519User);
        return (p.Client, p.Dir, p.Src, p.Dst, p.Bucket);
    }

    private static Task<string> OldFileAsync(string dir, string name, long size, int seed) => PartnerSetup.OldFileAsync(dir, name, size, seed, LongAgo);

    private static object Body(string src, string dst, string sourcePath, object afterSuccess, object? policy = null, bool recursive = false) => new
    {
        name = "pull with post-action",
        source = new { endpoint_id = src, path = sourcePath, recursive },
        target = new { endpoint_id = dst, path = "in/{name}" },
        trigger = new { interval_seconds = 3600 },
        min_age_seconds = 0,
        stable_seconds = 0,
        policy,
        after_success = afterSuccess,
    };

    private static async Task<string> CreateAsync(FerryClient client, string src, string dst, string sourcePath, object afterSuccess, object? policy = null)
    {
        var reply = await client.PostAsync("v1/schedules", Body(src, dst, sourcePath, afterSuccess, policy));
        Assert.True(reply.Status == HttpStatusCode.Created, reply.Text);
        return reply.Str("schedule_id");
    }

    /// <summary>Runs the schedule, expects it to take <paramref name="name"/>, and waits for that job to finish.</summary>
    private static async Task<JsonElement> RunOneAsync(FerryClient client, string id, string name)
    {
        var run = await client.PostAsync($"v1/schedules/{id}/run", null);
        Assert.True(run.Status == HttpStatusCode.OK && run.Body.GetProperty("jobs_created").GetInt32() == 1, run.Text);
        var decision = (await client.GetAsync($"v1/schedules/{id}/decisions?path={name}&limit=1")).Body.GetProperty("decisions").EnumerateArray().Single();
        return await client.WaitForJobAsync(decision.GetProperty("job_id").GetString()!);
    }

    private static async Task<List<string>> EventKindsAsync(FerryClient client, JsonElement job) =>
        (await client.GetAsync($"v1/jobs/{job.GetProperty("job_id").GetString()}/events")).Body.GetProperty("events").EnumerateArray()
            .Select(e => e.GetProperty("kind").GetString()!).ToList();
}
