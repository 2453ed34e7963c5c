using System.Net;
using System.Text;
using System.Text.Json;
using Amazon.S3.Model;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>Triggers (push): S3 events posted to the intake, against a real RGW source and a real sshd or RGW target.</summary>
[Collection("rig")]
public sealed class TriggersTests(Rig rig, SharedServer shared) : IClassFixture<SharedServer>
{
    private static readonly HttpClient Anonymous = new();

    [Fact]
    public async Task EventsTwiceAndOutOfOrder_CreateOneJob_ThatDeliversTheObject()
    {
        var t = await SetUpAsync();
        using var _ = t.Client;
        var sha = await PutAsync(t.Bucket, "in/orders/o-1.csv", 3000, seed: 21);

        var newer = await PostEventAsync(t.Intake, Event(t.Bucket, "in/orders/o-1.csv", "0000000062A1B2C3D4"));
        var again = await PostEventAsync(t.Intake, Event(t.Bucket, "in/orders/o-1.csv", "0000000062A1B2C3D4"));
        var older = await PostEventAsync(t.Intake, Event(t.Bucket, "in/orders/o-1.csv", "62A1B2C3C0"));

        Assert.Equal("created", Outcome(newer));
        Assert.Equal("existing", Outcome(again));
        Assert.Equal(JobId(newer), JobId(again));
        Assert.Equal("stale", Outcome(older));
        var job = await t.Client.WaitForJobAsync(JobId(newer));
        Assert.Equal("SUCCEEDED", job.GetProperty("status").GetString());
        Assert.Equal(t.TriggerId, job.GetProperty("batch_id").GetString());
        Assert.Equal(sha, await RandomData.Sha256OfFileAsync(Path.Combine(t.Dir, "from-s3/orders/o-1.csv")));
        var batch = await t.Client.GetAsync($"v1/batches/{t.TriggerId}");
        Assert.Equal(1, batch.Body.GetProperty("jobs").GetInt32());
    }

    [Fact]
    public async Task AnSnsWrappedEvent_IsUnwrapped_AndFiltersDecide()
    {
        var t = await SetUpAsync();
        using var _ = t.Client;
        await PutAsync(t.Bucket, "in/a b.csv", 100, seed: 22);
        await PutAsync(t.Bucket, "in/skip.tmp", 100, seed: 23);
        // AWS form-encodes keys in events ("a+b.csv" for "a b.csv").
        var sns = new
        {
            Type = "Notification",
            MessageId = Guid.NewGuid().ToString(),
            TopicArn = "arn:aws:sns:us-east-1:123456789012:uploads",
            Message = Event(t.Bucket, "in/a+b.csv", "0A"),
            Timestamp = DateTime.UtcNow.ToString("O"),
        };

        var wrapped = await PostEventAsync(t.Intake, JsonSerializer.Serialize(sns), contentType: "text/plain; charset=UTF-8");
        var filtered = await PostEventAsync(t.Intake, Event(t.Bucket, "in/skip.tmp", "0B"));

        Assert.Equal("created", Outcome(wrapped));
        Assert.Equal("SUCCEEDED", (await t.Client.WaitForJobAsync(JobId(wrapped))).GetProperty("status").GetString());
        Assert.True(File.Exists(Path.Combine(t.Dir, "from-s3/a b.csv")));
        Assert.Equal("unmatched", Outcome(filtered));
    }

    [Fact]
    public async Task ObjectsFerryDeliveredForATrigger_NeverFireItAgain()
    {
        var client = await FerryClient.NewCustomerAsync(shared.Server);
        using var _ = client;
        var bucket = await rig.S3.NewBucketAsync();
        var endpoint = await client.RegisterS3Async(rig.S3, bucket);
        // Source and target are the same bucket, and the copies land under the trigger's own prefix.
        var (triggerId, intake) = await CreateTriggerAsync(client, endpoint, "in/", "", endpoint, "in/copies/{path}");
        await PutAsync(bucket, "in/x.bin", 500, seed: 24);

        var first = await PostEventAsync(intake, Event(bucket, "in/x.bin", "01"));
        Assert.Equal("SUCCEEDED", (await client.WaitForJobAsync(JobId(first))).GetProperty("status").GetString());
        var echo = await PostEventAsync(intake, Event(bucket, "in/copies/x.bin", "02"));

        Assert.Equal("ignored", Outcome(echo));
        Assert.Contains(triggerId, Detail(echo));
        Assert.Equal(1, (await client.GetAsync($"v1/batches/{triggerId}")).Body.GetProperty("jobs").GetInt32());
    }

    [Fact]
    public async Task Reconciliation_FindsObjectsWhoseEventsWereLost_Once()
    {
        var t = await SetUpAsync();
        using var _ = t.Client;
        await PutAsync(t.Bucket, "in/lost-1.csv", 200, seed: 25);
        await PutAsync(t.Bucket, "in/deep/lost-2.csv", 200, seed: 26);
        await PutAsync(t.Bucket, "in/not-mine.txt", 200, seed: 27);
        var sent = await PostEventAsync(t.Intake, Event(t.Bucket, "in/lost-1.csv", "01"));
        var patch = await t.Client.SendAsync(HttpMethod.Patch, $"v1/triggers/{t.TriggerId}", new { reconcile_seconds = 300 },
            new Dictionary<string, string> { ["If-Match"] = "\"0\"" });
        Assert.True(patch.Status == HttpStatusCode.OK, patch.Text);

        var first = await t.Client.PostAsync($"v1/triggers/{t.TriggerId}/reconcile", null);
        var second = await t.Client.PostAsync($"v1/triggers/{t.TriggerId}/reconcile", null);

        var found = Assert.Single(first.Body.GetProperty("records").EnumerateArray());
        // The server's own reconciler (a 5 s tick) sweeps a trigger as soon as reconcile_seconds is
        // set, so it may create the job a moment before this sweep does: then this one finds it.
        // Either way there is one job for the object (the batch count below).
        Assert.Equal("in/deep/lost-2.csv", found.GetProperty("key").GetString());
        Assert.Contains(Outcome(found), new[] { "created", "existing" });
        Assert.Equal(0, second.Body.GetProperty("records").GetArrayLength());
        Assert.Equal("SUCCEEDED", (await t.Client.WaitForJobAsync(JobId(found))).GetProperty("status").GetString());
        Assert.True(File.Exists(Path.Combine(t.Dir, "from-s3/deep/lost-2.csv")));
        Assert.Equal(2, (await t.Client.GetAsync($"v1/batches/{t.TriggerId}")).Body.GetProperty("jobs").GetInt32());
        Assert.Equal("created", Outcome(sent));
    }

    [Fact]
    public async Task TheIntake_RefusesWrongTokensAndBadMessages()
    {
        var t = await SetUpAsync();
        using var _ = t.Client;
        var wrongToken = t.Intake[..^4] + "0000";

        Assert.Equal(HttpStatusCode.Unauthorized, (await PostRawAsync(wrongToken, Event(t.Bucket, "in/a", "01"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostRawAsync($"/v1/events/s3?trigger_id={t.TriggerId}&token=", Event(t.Bucket, "in/a", "01"))).StatusCode);
        var notJson = await PostRawAsync(t.Intake, "{\"Records\": [");
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        var noKey = await PostRawAsync(t.Intake, """{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{}}}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, noKey.StatusCode);
        Assert.Contains("Records[0]", await noKey.Content.ReadAsStringAsync());
        // The same events with the customer's API key work too, matched against all its triggers.
        var byKey = await t.Client.PostAsync("v1/events/s3", JsonDocument.Parse(Event(t.Bucket, "in/none.csv", "01")).RootElement);
        Assert.Equal(HttpStatusCode.OK, byKey.Status);
        Assert.Equal("ignored", byKey.Body.GetProperty("records")[0].GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task RotatingTheToken_RetiresTheOldOneAtOnce_AndShowsTheNewOneOnce()
    {
        var t = await SetUpAsync();
        using var _ = t.Client;
        Assert.Equal(HttpStatusCode.OK, (await PostRawAsync(t.Intake, Event(t.Bucket, "in/none.csv", "01"))).StatusCode);

        var rotated = await t.Client.PostAsync($"v1/triggers/{t.TriggerId}/rotate-token", null);

        Assert.True(rotated.Status == HttpStatusCode.OK, rotated.Text);
        var intake = rotated.Body.GetProperty("intake").GetProperty("url").GetString()!;
        Assert.NotEqual(t.Intake, intake);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostRawAsync(t.Intake, Event(t.Bucket, "in/none.csv", "02"))).StatusCode);
        Assert.Equal("ignored", Outcome(await PostEventAsync(intake, Event(t.Bucket, "in/none.csv", "03"))));
        var shown = await t.Client.GetAsync($"v1/triggers/{t.TriggerId}");
        Assert.False(shown.Body.TryGetProperty("intake", out var again) && again.ValueKind != JsonValueKind.Null, "the token is shown once");
        using var stranger = await FerryClient.NewCustomerAsync(shared.Server);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.PostAsync($"v1/triggers/{t.TriggerId}/rotate-token", null)).Status);
        var audit = await t.Client.GetAsync($"v1/audit?entity_id={t.TriggerId}");
        Assert.Contains(audit.Body.GetProperty("entries").EnumerateArray(), e => e.GetProperty("action").GetString() == "trigger.token_rotated");
    }

    [Fact]
    public async Task BadTriggers_AreRefusedNamingTheField()
    {
        var t = await SetUpAsync();
        using var client = t.Client;
        async Task ExpectAsync(string field, object body)
        {
            var reply = await t.Client.PostAsync("v1/triggers", body);
            Assert.True(reply.Status == HttpStatusCode.BadRequest, $"{field}: {reply.Status} {reply.Text}");
            Assert.True(reply.Body.GetProperty("errors").TryGetProperty(field, out _), $"expected an error on {field}: {reply.Text}");
        }

        object Body(string source, string prefix = "in/", string target = "x/{name}", object? afterSuccess = null, double? reconcile = null) => new
        {
            name = "bad",
            source = new { endpoint_id = source, prefix },
            target = new { endpoint_id = t.Sftp, path = target },
            after_success = afterSuccess,
            reconcile_seconds = reconcile,
        };

        await ExpectAsync("source.endpoint_id", Body(t.Sftp));
        await ExpectAsync("source.endpoint_id", Body("ep_nope"));
        await ExpectAsync("source.prefix", Body(t.S3, prefix: "../up/"));
        await ExpectAsync("target.path", Body(t.S3, target: "x/{nmae}"));
        await ExpectAsync("after_success.archive_path", Body(t.S3, afterSuccess: new { action = "move", archive_path = "in/done/{name}" }));
        await ExpectAsync("reconcile_seconds", Body(t.S3, reconcile: 5));
        using var stranger = await FerryClient.NewCustomerAsync(shared.Server);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"v1/triggers/{t.TriggerId}")).Status);
        var mine = await t.Client.GetAsync($"v1/triggers/{t.TriggerId}");
        Assert.False(mine.Body.TryGetProperty("intake", out var intake) && intake.ValueKind != JsonValueKind.Null, "the token is shown once");
    }

    internal sealed record Setup(FerryClient Client, string Bucket, string S3, string Dir, string Sftp, string TriggerId, string Intake);

    /// <summary>A bucket (the source) and an SFTP directory (the target) with a trigger on "in/" delivering to "from-s3/{path}".</summary>
    private async Task<Setup> SetUpAsync()
    {
        var client = await FerryClient.NewCustomerAsync(shared.Server);
        var bucket = await rig.S3.NewBucketAsync();
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var s3 = await client.RegisterS3Async(rig.S3, bucket);
        var sftp = await client.RegisterSftpAsync(rig.Sftp, dir);
        var (triggerId, intake) = await CreateTriggerAsync(client, s3, "in/", ".csv", sftp, "from-s3/{path}");
        return new Setup(client, bucket, s3, dir, sftp, triggerId, intake);
    }

    internal static async Task<(string TriggerId, string IntakeUrl)> CreateTriggerAsync(
        FerryClient client, string source, string prefix, string suffix, string target, string targetPath)
    {
        var reply = await client.PostAsync("v1/triggers", new
        {
            name = "partner uploads",
            source = new { endpoint_id = source, prefix, suffix },
            target = new { endpoint_id = target, path = targetPath },
        });
        Assert.True(reply.Status == HttpStatusCode.Created, reply.Text);
        return (reply.Str("trigger_id"), reply.Body.GetProperty("intake").GetProperty("url").GetString()!);
    }

    private async Task<string> PutAsync(string bucket, string key, int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        await rig.S3.Client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(bytes) });
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
    }

    /// <summary>An S3 ObjectCreated notification as AWS S3 sends it (one record).</summary>
    internal static string Event(string bucket, string key, string sequencer) => JsonSerializer.Serialize(new
    {
        Records = new[]
        {
            new
            {
                eventVersion = "2.1",
                eventSource = "aws:s3",
                eventTime = DateTime.UtcNow.ToString("O"),
                eventName = "ObjectCreated:Put",
                s3 = new { s3SchemaVersion = "1.0", bucket = new { name = bucket }, @object = new { key, size = 1, sequencer } },
            },
        },
    });

    private Task<HttpResponseMessage> PostRawAsync(string intakeUrl, string body, string contentType = "application/json") =>
        Anonymous.PostAsync(new Uri(shared.Server.BaseAddress, intakeUrl), new StringContent(body, Encoding.UTF8, MediaTypeOnly(contentType)));

    private async Task<JsonElement> PostEventAsync(string intakeUrl, string body, string contentType = "application/json")
    {
        using var response = await PostRawAsync(intakeUrl, body, contentType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("records").EnumerateArray().Single();
    }

    private static string MediaTypeOnly(string contentType) => contentType.Split(';')[0];

    private static string Outcome(JsonElement record) => record.GetProperty("outcome").GetString()!;

    private static string JobId(JsonElement record) => record.GetProperty("job_id").GetString()!;

    private static string Detail(JsonElement record) => record.GetProperty("detail").GetString()!;
}
