using System.Net;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>Registering endpoints: connectivity is checked for real, and a failure says which check failed.</summary>
[Collection("rig")]
public sealed class EndpointsApiTests(Rig rig, SharedServer shared) : IClassFixture<SharedServer>
{
    private const string WrongHostKey = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    public static TheoryData<string, string> Failures => new()
    {
        { "auth", "AUTHENTICATION_FAILED" },
        { "host_key", "HOST_KEY_MISMATCH" },
        { "base_path", "NOT_FOUND" },
        { "tcp", "CONNECTION_FAILED" },
        { "dns", "HOST_NOT_FOUND" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Create_FailedCheck_Is422NamingTheCheck_AndStoresNothing(string check, string code)
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        object body = check switch
        {
            "auth" => FerryClient.SftpBody(rig.Sftp, dir, credentials: new { private_key = File.ReadAllText(rig.Sftp.RsaKeyPath) }),
            "host_key" => FerryClient.SftpBody(rig.Sftp, dir, hostKey: WrongHostKey),
            "base_path" => FerryClient.SftpBody(rig.Sftp, dir + "/missing"),
            "tcp" => FerryClient.SftpBody(rig.Sftp, dir, port: ClosedPort()),
            _ => new
            {
                name = "nowhere", type = "sftp",
                sftp = new { host = "no-such-host.invalid", username = "u", base_path = "", host_key_sha256 = rig.Sftp.HostKey },
                credentials = new { password = "x" },
            },
        };

        var reply = await client.PostAsync("v1/endpoints", body);

        Assert.True(reply.Status == HttpStatusCode.UnprocessableEntity, reply.Text);
        Assert.Equal(check, reply.Str("check"));
        Assert.Equal(code, reply.Str("error_code"));
        Assert.Equal(0, (await client.GetAsync("v1/endpoints")).Body.GetProperty("endpoints").GetArrayLength());
    }

    [Fact]
    public async Task Create_TrustOnFirstUse_RecordsTheKeySeenAndEnforcesIt()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var reply = await client.PostAsync("v1/endpoints", new
        {
            name = "tofu", type = "sftp",
            sftp = new { host = rig.Sftp.Host, port = rig.Sftp.Port, username = rig.Sftp.Ed25519User, base_path = dir, trust_on_first_use = true },
            credentials = new { private_key = File.ReadAllText(rig.Sftp.Ed25519KeyPath) },
        });

        Assert.True(reply.Status == HttpStatusCode.Created, reply.Text);
        var sftp = reply.Body.GetProperty("sftp");
        Assert.Equal(rig.Sftp.HostKey, sftp.GetProperty("host_key_sha256").GetString());
        Assert.True(sftp.GetProperty("host_key_trusted_on_first_use").GetBoolean());
        Assert.Equal("ACTIVE", reply.Str("status"));
    }

    [Fact]
    public async Task Credentials_AreNeverReturned_AndRotationRevalidates()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        var bucket = await rig.S3.NewBucketAsync();
        var created = await client.PostAsync("v1/endpoints", FerryClient.S3Body(rig.S3, bucket));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var id = created.Str("endpoint_id");
        Assert.DoesNotContain(rig.S3.SecretKey, created.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(rig.S3.AccessKey, created.Text, StringComparison.Ordinal);
        Assert.True(created.Body.GetProperty("has_credentials").GetBoolean());

        var wrong = await client.SendAsync(HttpMethod.Put, $"v1/endpoints/{id}/credentials", new { access_key_id = rig.S3.AccessKey, secret_access_key = "wrong-secret" });
        Assert.True(wrong.Status == HttpStatusCode.UnprocessableEntity, wrong.Text);
        Assert.Equal("auth", wrong.Str("check"));

        var rotated = await client.SendAsync(HttpMethod.Put, $"v1/endpoints/{id}/credentials", new { access_key_id = rig.S3.AccessKey, secret_access_key = rig.S3.SecretKey });
        Assert.True(rotated.Status == HttpStatusCode.OK, rotated.Text);
        Assert.Equal(2, rotated.Body.GetProperty("version").GetInt64());
        var audit = await client.GetAsync($"v1/audit?entity_id={id}");
        Assert.Equal(["endpoint.credentials_rotated", "endpoint.created"], audit.Body.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("action").GetString()));
        Assert.DoesNotContain(rig.S3.SecretKey, audit.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(rig.S3.SecretKey, shared.Server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Patch_NeedsIfMatch_AndRejectsAStaleVersion()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        var id = await client.RegisterS3Async(rig.S3, await rig.S3.NewBucketAsync());

        var missing = await client.SendAsync(HttpMethod.Patch, $"v1/endpoints/{id}", new { name = "renamed" });
        var stale = await client.SendAsync(HttpMethod.Patch, $"v1/endpoints/{id}", new { name = "renamed" }, new Dictionary<string, string> { ["If-Match"] = "\"7\"" });
        var ok = await client.SendAsync(HttpMethod.Patch, $"v1/endpoints/{id}", new { name = "renamed", max_concurrency = 2 }, new Dictionary<string, string> { ["If-Match"] = "\"1\"" });

        Assert.Equal((HttpStatusCode)428, missing.Status);
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.Status);
        Assert.True(ok.Status == HttpStatusCode.OK, ok.Text);
        Assert.Equal(("renamed", 2), (ok.Str("name"), ok.Body.GetProperty("max_concurrency").GetInt32()));
        Assert.Equal("\"2\"", ok.Message.Headers.ETag?.ToString());
    }

    [Fact]
    public async Task DisabledEndpoint_RejectsNewTransfers_UntilActivatedAgain()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        var bucket = await rig.S3.NewBucketAsync();
        await rig.S3.Client.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = bucket, Key = "f.txt", ContentBody = "hello" });
        var src = await client.RegisterS3Async(rig.S3, bucket);
        var dst = await client.RegisterS3Async(rig.S3, await rig.S3.NewBucketAsync());

        Assert.Equal("DISABLED", (await client.PostAsync($"v1/endpoints/{src}/deactivate", null)).Str("status"));
        var rejected = await client.TransferAsync(src, "f.txt", dst, "f.txt");
        Assert.Equal(HttpStatusCode.BadRequest, rejected.Status);
        Assert.Contains("DISABLED", rejected.Body.GetProperty("errors").GetProperty("source.endpoint_id")[0].GetString(), StringComparison.Ordinal);

        Assert.Equal("ACTIVE", (await client.PostAsync($"v1/endpoints/{src}/activate", null)).Str("status"));
        Assert.Equal(HttpStatusCode.Created, (await client.TransferAsync(src, "f.txt", dst, "f.txt")).Status);
    }

    private static int ClosedPort() => LoopbackPort.Free();
}
