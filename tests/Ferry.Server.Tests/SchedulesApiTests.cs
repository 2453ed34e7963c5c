using System.Net;
using System.Text.Json;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>Schedules (pull) end to end: a real sshd directory polled into a real RGW bucket.</summary>
[Collection("rig")]
public sealed class SchedulesApiTests(Rig rig, SharedServer shared) : IClassFixture<SharedServer>
{
    private static readonly DateTime LongAgo = DateTime.UtcNow.AddHours(-1);

    [Fact]
    public async Task RunNow_TakesSettledFilesOnce_AndExplainsTheOthers()
    {
        var (client, dir, src, dst, bucket) = await SetUpAsync();
        using var _ = client;
        var sha = await OldFileAsync(dir, "a.csv", 2048, seed: 1);
        await File.WriteAllTextAsync(Path.Combine(dir, "b.csv"), "still fresh");
        await OldFileAsync(dir, "c.tmp", 10, seed: 2);
        var id = await CreateAsync(client, src, dst, ["*.tmp"], minAge: 60, stable: 0);

        var first = await RunAsync(client, id);
        Assert.Equal(1, first.GetProperty("jobs_created").GetInt32());
        Assert.Equal(2, first.GetProperty("left").GetInt32());
        var again = await RunAsync(client, id);
        Assert.Equal(0, again.GetProperty("jobs_created").GetInt32());
        Assert.Equal(1, again.GetProperty("already_transferred").GetInt32());

        var fresh = await DecisionAsync(client, id, "b.csv");
        Assert.Equal("left", fresh.GetProperty("decision").GetString());
        Assert.Equal("too_new", fresh.GetProperty("reason").GetString());
        Assert.Contains("60 s", fresh.GetProperty("detail").GetString());
        Assert.Equal("excluded", (await DecisionAsync(client, id, "c.tmp")).GetProperty("reason").GetString());
        var taken = await DecisionAsync(client, id, "a.csv");
        Assert.Equal("taken", taken.GetProperty("decision").GetString());
        var job = await client.WaitForJobAsync(taken.GetProperty("job_id").GetString()!);
        Assert.Equal("SUCCEEDED", job.GetProperty("status").GetString());
        Assert.Equal(first.GetProperty("batch_id").GetString(), job.GetProperty("batch_id").GetString());
        using var obj = await rig.S3.Client.GetObjectAsync(bucket, "in/a.csv");
        Assert.Equal(sha, await TransferFlowTests.Sha256Async(obj.ResponseStream));
    }

    [Fact]
    public async Task TwoRunsAtOnce_CreateEachJobOnce()
    {
        var (client, dir, src, dst, _) = await SetUpAsync();
        using var _c = client;
        for (var i = 0; i < 100; i++)
        {
            await OldFileAsync(dir, $"f{i:D3}.bin", 64, seed: i);
        }

        var id = await CreateAsync(client, src, dst, null, minAge: 0, stable: 0);
        var runs = await Task.WhenAll(RunAsync(client, id), RunAsync(client, id));

        Assert.Equal(100, runs.Sum(r => r.GetProperty("jobs_created").GetInt32()));
        Assert.All(runs, r => Assert.Equal(100, r.GetProperty("jobs_created").GetInt32() + r.GetProperty("already_transferred").GetInt32()));
        var jobs = 0;
        foreach (var r in runs)
        {
            var batch = await client.GetAsync($"v1/batches/{r.GetProperty("batch_id").GetString()}");
            jobs += batch.Status == HttpStatusCode.OK ? batch.Body.GetProperty("jobs").GetInt32() : 0;
        }

        Assert.Equal(100, jobs);
    }

    [Fact]
    public async Task AFileStillBeingWritten_IsTakenOnlyOnceItStopsChanging()
    {
        var (client, dir, src, dst, bucket) = await SetUpAsync();
        using var _c = client;
        var path = Path.Combine(dir, "slow.bin");
        var id = await CreateAsync(client, src, dst, null, minAge: 0, stable: 1);
        using var writing = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            // A partner uploading slowly: a chunk every 100 ms until told to stop.
            await using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
            var chunk = new byte[4096];
            while (!writing.IsCancellationRequested)
            {
                Random.Shared.NextBytes(chunk);
                await f.WriteAsync(chunk);
                await f.FlushAsync();
                await Task.Delay(100);
            }
        });
        await Task.Delay(300);

        var during = await RunAsync(client, id);
        Assert.Equal(0, during.GetProperty("jobs_created").GetInt32());
        var left = await DecisionAsync(client, id, "slow.bin");
        Assert.Equal("changing", left.GetProperty("reason").GetString());
        Assert.Contains("still being written", left.GetProperty("detail").GetString());

        await writing.CancelAsync();
        await writer;
        var sha = await RandomData.Sha256OfFileAsync(path);
        var after = await RunAsync(client, id);
        Assert.Equal(1, after.GetProperty("jobs_created").GetInt32());
        var job = await client.WaitForJobAsync((await DecisionAsync(client, id, "slow.bin")).GetProperty("job_id").GetString()!);
        Assert.Equal(sha, job.GetProperty("sha256").GetString());
        using var obj = await rig.S3.Client.GetObjectAsync(bucket, "in/slow.bin");
        Assert.Equal(new FileInfo(path).Length, obj.ContentLength);
    }

    [Fact]
    public async Task MarkerFiles_GateTheirFile_AndAreNeverTransferred()
    {
        var (client, dir, src, dst, _) = await SetUpAsync();
        using var _c = client;
        await OldFileAsync(dir, "x.csv", 100, seed: 3);
        var id = await CreateAsync(client, src, dst, null, minAge: 0, stable: 0, markers: [".done"]);

        Assert.Equal(0, (await RunAsync(client, id)).GetProperty("jobs_created").GetInt32());
        var waiting = await DecisionAsync(client, id, "x.csv");
        Assert.Equal("no_marker", waiting.GetProperty("reason").GetString());
        Assert.Contains("x.csv.done", waiting.GetProperty("detail").GetString());

        await OldFileAsync(dir, "x.csv.done", 0, seed: 4);
        var run = await RunAsync(client, id);
        Assert.Equal(1, run.GetProperty("jobs_created").GetInt32());
        Assert.Equal("taken", (await DecisionAsync(client, id, "x.csv")).GetProperty("decision").GetString());
        var all = await client.GetAsync($"v1/schedules/{id}/decisions?limit=100");
        Assert.DoesNotContain(all.Body.GetProperty("decisions").EnumerateArray(), d => d.GetProperty("path").GetString() == "x.csv.done");
    }

    [Fact]
    public async Task AnIntervalSchedule_FiresByItself_AndPausingStopsIt()
    {
        var (client, dir, src, dst, _) = await SetUpAsync();
        using var _c = client;
        await OldFileAsync(dir, "tick.bin", 10, seed: 5);
        var id = await CreateAsync(client, src, dst, null, minAge: 0, stable: 0, intervalSeconds: 1);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonElement runs;
        do
        {
            await Task.Delay(200);
            runs = (await client.GetAsync($"v1/schedules/{id}/runs")).Body.GetProperty("runs");
        }
        while (!runs.EnumerateArray().Any(r => r.GetProperty("jobs_created").GetInt32() == 1) && DateTime.UtcNow < deadline);

        var created = runs.EnumerateArray().Single(r => r.GetProperty("jobs_created").GetInt32() == 1);
        Assert.Equal("tick", created.GetProperty("cause").GetString());

        var paused = await client.PostAsync($"v1/schedules/{id}/pause", null);
        Assert.Equal(HttpStatusCode.OK, paused.Status);
        Assert.Equal("PAUSED", paused.Str("status"));
        Assert.False(paused.Body.TryGetProperty("next_run_at", out var next) && next.ValueKind != JsonValueKind.Null, paused.Text);
        await Task.Delay(500); // a tick claimed just before the pause may still be finishing
        var before = (await client.GetAsync($"v1/schedules/{id}/runs?limit=1000")).Body.GetProperty("runs").GetArrayLength();
        await Task.Delay(2500);
        Assert.Equal(before, (await client.GetAsync($"v1/schedules/{id}/runs?limit=1000")).Body.GetProperty("runs").GetArrayLength());

        var resumed = await client.PostAsync($"v1/schedules/{id}/resume", null);
        Assert.Equal("ACTIVE", resumed.Str("status"));
        Assert.Equal(JsonValueKind.String, resumed.Body.GetProperty("next_run_at").ValueKind);
    }

    [Fact]
    public async Task BadSchedules_AreRefusedNamingTheField()
    {
        var (client, _, src, dst, _) = await SetUpAsync();
        using var _c = client;
        async Task ExpectAsync(string field, object body)
        {
            var reply = await client.PostAsync("v1/schedules", body);
            Assert.True(reply.Status == HttpStatusCode.BadRequest, $"{field}: {reply.Status} {reply.Text}");
            Assert.True(reply.Body.GetProperty("errors").TryGetProperty(field, out _), $"expected an error on {field}: {reply.Text}");
        }

        object Body(object? trigger = null, string sourceEndpoint = "", string targetPath = "in/{name}", string sourcePath = "") => new
        {
            name = "bad",
            source = new { endpoint_id = sourceEndpoint.Length == 0 ? src : sourceEndpoint, path = sourcePath },
            target = new { endpoint_id = dst, path = targetPath },
            trigger = trigger ?? new { interval_seconds = 60 },
        };

        await ExpectAsync("trigger.cron", Body(new { cron = "61 * * * *" }));
        await ExpectAsync("trigger.time_zone", Body(new { cron = "0 * * * *", time_zone = "Mars/Olympus" }));
        await ExpectAsync("trigger", Body(new { cron = "0 * * * *", interval_seconds = 60 }));
        await ExpectAsync("trigger.interval_seconds", Body(new { interval_seconds = 0 }));
        await ExpectAsync("source.endpoint_id", Body(sourceEndpoint: "ep_doesnotexist"));
        await ExpectAsync("target.path", Body(targetPath: "../outside/{name}"));
        await ExpectAsync("target.path", Body(targetPath: "in/{nmae}"));
        await ExpectAsync("source.path", Body(sourcePath: "in/*.csv"));

        var id = await CreateAsync(client, src, dst, null, minAge: 0, stable: 0);
        Assert.Equal(HttpStatusCode.PreconditionRequired, (await client.SendAsync(HttpMethod.Patch, $"v1/schedules/{id}", new { name = "x" })).Status);
        using var stranger = await FerryClient.NewCustomerAsync(shared.Server);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"v1/schedules/{id}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.PostAsync($"v1/schedules/{id}/run", null)).Status);
    }

    private async Task<(FerryClient Client, string Dir, string Src, string Dst, string Bucket)> SetUpAsync()
    {
        var p = await PartnerSetup.CreateAsync(rig, shared);
        return (p.Client, p.Dir, p.Src, p.Dst, p.Bucket);
    }

    private static Task<string> OldFileAsync(string dir, string name, long size, int seed) =>
        PartnerSetup.OldFileAsync(dir, name, size, seed, LongAgo);

    private static async Task<string> CreateAsync(
        FerryClient client, string src, string dst, string[]? exclude, double minAge, double stable, string[]? markers = null, double intervalSeconds = 3600)
    {
        var reply = await client.PostAsync("v1/schedules", new
        {
            name = "partner pull",
            source = new { endpoint_id = src, path = "", exclude },
            target = new { endpoint_id = dst, path = "in/{name}" },
            trigger = new { interval_seconds = intervalSeconds },
            min_age_seconds = minAge,
            stable_seconds = stable,
            marker_suffixes = markers,
        });
        Assert.True(reply.Status == HttpStatusCode.Created, reply.Text);
        return reply.Str("schedule_id");
    }

    private static async Task<JsonElement> RunAsync(FerryClient client, string id)
    {
        var reply = await client.PostAsync($"v1/schedules/{id}/run", null);
        Assert.True(reply.Status == HttpStatusCode.OK, reply.Text);
        Assert.False(reply.Body.TryGetProperty("error_code", out var error) && error.ValueKind != JsonValueKind.Null, reply.Text);
        return reply.Body;
    }

    private static async Task<JsonElement> DecisionAsync(FerryClient client, string id, string path)
    {
        var reply = await client.GetAsync($"v1/schedules/{id}/decisions?path={Uri.EscapeDataString(path)}&limit=1");
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        return reply.Body.GetProperty("decisions").EnumerateArray().Single();
    }
}
