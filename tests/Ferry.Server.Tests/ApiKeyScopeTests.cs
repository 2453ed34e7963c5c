using System.Net;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>
/// API keys with a scope (read, transfer, full): each key does what its scope allows, and anything
/// more is a 403 that names the scope it needs and changes nothing.
/// </summary>
[Collection("rig")]
public sealed class ApiKeyScopeTests(Rig rig, SharedServer shared) : IClassFixture<SharedServer>
{
    [Fact]
    public async Task ReadAndTransferKeys_DoWhatTheirScopeAllows_AndTheRestIsRefusedWithoutAChange()
    {
        using var admin = new FerryClient(shared.Server, shared.Server.AdminKey);
        var created = await admin.PostAsync("v1/customers", new { name = "Scopes" });
        var customer = created.Str("customer_id");
        using var full = new FerryClient(shared.Server, created.Body.GetProperty("api_key").GetProperty("token").GetString()!);
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var bucket = await rig.S3.NewBucketAsync();
        var src = await full.RegisterSftpAsync(rig.Sftp, dir);
        var dst = await full.RegisterS3Async(rig.S3, bucket);
        await RandomData.WriteFileAsync(Path.Combine(dir, "a.csv"), 2_000, seed: 1);
        var readKey = await admin.PostAsync($"v1/customers/{customer}/api-keys", new { name = "dashboard", scope = "read" });
        var transferKey = await admin.PostAsync($"v1/customers/{customer}/api-keys", new { name = "partner scheduler", scope = "transfer" });
        using var reader = new FerryClient(shared.Server, readKey.Str("token"));
        using var submitter = new FerryClient(shared.Server, transferKey.Str("token"));

        // Reading: every scope.
        Assert.Equal((HttpStatusCode.Created, "read", "transfer", "full"),
            (readKey.Status, readKey.Str("scope"), transferKey.Str("scope"), created.Body.GetProperty("api_key").GetProperty("scope").GetString()));
        Assert.Equal(2, (await reader.GetAsync("v1/endpoints")).Body.GetProperty("endpoints").GetArrayLength());
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("v1/jobs")).Status);

        // A read key changes nothing.
        var readTransfer = await reader.TransferAsync(src, "a.csv", dst, "a.csv");
        var readEndpoint = await reader.PostAsync("v1/endpoints", FerryClient.S3Body(rig.S3, bucket));
        var readDelete = await reader.SendAsync(HttpMethod.Delete, $"v1/endpoints/{src}", null);
        var readEvent = await reader.PostAsync("v1/events/s3", new { Records = Array.Empty<object>() });

        // A transfer key submits work, and changes no endpoint or rule.
        var transfer = await submitter.TransferAsync(src, "a.csv", dst, "a.csv");
        var transferEndpoint = await submitter.PostAsync("v1/endpoints", FerryClient.S3Body(rig.S3, bucket));
        var transferPatch = await submitter.SendAsync(HttpMethod.Patch, $"v1/endpoints/{src}", new { name = "renamed" }, new Dictionary<string, string> { ["If-Match"] = "\"1\"" });
        var transferWebhook = await submitter.SendAsync(HttpMethod.Put, "v1/webhooks/job-failed", new { url = "https://hooks.example/ferry" });
        var transferCancel = await submitter.PostAsync($"v1/jobs/{transfer.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString()}/cancel", null);

        foreach (var refused in new[] { readTransfer, readEndpoint, readDelete, readEvent })
        {
            Assert.True(refused.Status == HttpStatusCode.Forbidden, refused.Text);
            Assert.Equal("https://ferry.dev/problems/insufficient-scope", refused.Str("type"));
            Assert.Contains($"API key {readKey.Str("key_id")} has scope 'read'", refused.Str("detail"));
        }

        Assert.Contains("POST /v1/transfers needs 'transfer'", readTransfer.Str("detail"));
        Assert.Contains("DELETE /v1/endpoints/" + src + " needs 'full'", readDelete.Str("detail"));
        Assert.True(transfer.Status == HttpStatusCode.Created, transfer.Text);
        foreach (var refused in new[] { transferEndpoint, transferPatch, transferWebhook })
        {
            Assert.True(refused.Status == HttpStatusCode.Forbidden, refused.Text);
            Assert.Contains("has scope 'transfer'", refused.Str("detail"));
            Assert.Contains("needs 'full'", refused.Str("detail"));
        }

        Assert.NotEqual(HttpStatusCode.Forbidden, transferCancel.Status); // 200, or 409 once the job has started

        var endpoints = (await full.GetAsync("v1/endpoints")).Body.GetProperty("endpoints");
        Assert.Equal(2, endpoints.GetArrayLength());
        Assert.DoesNotContain(endpoints.EnumerateArray(), e => e.GetProperty("name").GetString() == "renamed");
        Assert.Single((await full.GetAsync("v1/jobs")).Body.GetProperty("jobs").EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await full.GetAsync("v1/webhooks/job-failed")).Status);
        var scopesAudited = (await reader.GetAsync("v1/audit")).Body.GetProperty("entries").EnumerateArray()
            .Where(e => e.GetProperty("action").GetString() == "api_key.created").Select(e => e.GetProperty("changes").GetProperty("scope").GetString()).Order();
        Assert.Equal(["read", "transfer"], scopesAudited);
    }

    [Fact]
    public async Task AKeyWithAScopeThatDoesNotExist_IsRefused_NamingTheField_AndNoKeyIsMade()
    {
        using var admin = new FerryClient(shared.Server, shared.Server.AdminKey);
        var customer = (await admin.PostAsync("v1/customers", new { name = "Bad scope" })).Str("customer_id");

        var refused = await admin.PostAsync($"v1/customers/{customer}/api-keys", new { name = "root", scope = "admin" });

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Equal("must be read, transfer or full", refused.Body.GetProperty("errors").GetProperty("scope")[0].GetString());
        Assert.Single((await admin.GetAsync($"v1/customers/{customer}/api-keys")).Body.GetProperty("api_keys").EnumerateArray()); // the initial one
    }
}
