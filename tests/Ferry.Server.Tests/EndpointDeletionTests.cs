using System.Net;
using System.Text.Json;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>
/// DELETE /v1/endpoints/{id}: refused while a schedule or an unfinished job uses the endpoint,
/// then the record and its sealed credentials are gone, and what referred to it says so.
/// Real sshd behind a proxy that can be down.
/// </summary>
[Collection("rig")]
public sealed class EndpointDeletionTests(Rig rig, SharedServer shared) : IClassFixture<SharedServer>
{
    [Fact]
    public async Task Delete_IsRefusedWhileInUse_ThenRemovesTheEndpointAndItsCredentials()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        await using var link = new FaultProxy(rig.Sftp.Host, rig.Sftp.Port);
        var partner = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var inbox = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var sha = await RandomData.WriteFileAsync(Path.Combine(partner, "a.bin"), 100_000, seed: 61);
        var src = await client.RegisterSftpAsync(rig.Sftp, partner);
        var dst = await client.RegisterSftpAsync(rig.Sftp, inbox, port: link.Port);
        using var document = JsonDocument.Parse((string)(await shared.Server.QueryStoreAsync("SELECT document FROM endpoints WHERE endpoint_id = $id", ("$id", dst)))!);
        var secret = document.RootElement.GetProperty("SecretRef").GetString()!;

        // A schedule pulling into the inbox.
        var schedule = await client.PostAsync("v1/schedules", new
        {
            name = "nightly pull", source = new { endpoint_id = src, path = "out" }, target = new { endpoint_id = dst, path = "{name}" },
            trigger = new { interval_seconds = 3600 },
        });
        Assert.True(schedule.Status == HttpStatusCode.Created, schedule.Text);
        var refused = await DeleteAsync(client, dst);
        Assert.True(refused.Status == HttpStatusCode.Conflict, refused.Text);
        Assert.Contains(schedule.Str("schedule_id"), refused.Str("detail"));
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(HttpMethod.Delete, $"v1/schedules/{schedule.Str("schedule_id")}", null)).Status);

        // A job that cannot finish while the inbox's server is down.
        link.GoDown();
        var transfer = await client.TransferAsync(src, "a.bin", dst, "a.bin",
            new { retry = new { max_attempts = 20, initial_backoff_seconds = 0.2, max_backoff_seconds = 0.5 } });
        Assert.True(transfer.Status == HttpStatusCode.Created, transfer.Text);
        var jobId = transfer.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString()!;
        refused = await DeleteAsync(client, dst);
        Assert.True(refused.Status == HttpStatusCode.Conflict, refused.Text);
        Assert.Contains(jobId, refused.Str("detail"));
        link.ComeBack();
        Assert.Equal("SUCCEEDED", (await client.WaitForJobAsync(jobId)).GetProperty("status").GetString());

        // Another customer cannot see it, a stale If-Match loses, and then it goes.
        using (var stranger = await FerryClient.NewCustomerAsync(shared.Server))
        {
            Assert.Equal(HttpStatusCode.NotFound, (await DeleteAsync(stranger, dst)).Status);
        }

        Assert.Equal(HttpStatusCode.PreconditionFailed, (await DeleteAsync(client, dst, ifMatch: "\"7\"")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync(client, dst, ifMatch: "\"1\"")).Status);

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"v1/endpoints/{dst}")).Status);
        Assert.Equal([src], (await client.GetAsync("v1/endpoints")).Body.GetProperty("endpoints").EnumerateArray().Select(e => e.GetProperty("endpoint_id").GetString()));
        Assert.Equal(0L, await shared.Server.QueryStoreAsync("SELECT count(*) FROM secrets WHERE reference = $r", ("$r", secret)));
        Assert.Equal(HttpStatusCode.NotFound, (await DeleteAsync(client, dst)).Status);
        // What referred to it: the finished job keeps its history; a re-drive or a new transfer is refused.
        var job = await client.GetAsync($"v1/jobs/{jobId}");
        Assert.Equal(dst, job.Body.GetProperty("target").GetProperty("endpoint_id").GetString());
        var redrive = await client.PostAsync($"v1/jobs/{jobId}/redrive", null);
        Assert.True(redrive.Status == HttpStatusCode.Conflict && redrive.Str("detail").Contains("deleted", StringComparison.Ordinal), redrive.Text);
        var again = await client.TransferAsync(src, "a.bin", dst, "b.bin");
        Assert.True((int)again.Status is >= 400 and < 500, again.Text);
        var audit = (await client.GetAsync("v1/audit")).Body.GetProperty("entries").EnumerateArray();
        Assert.Contains(audit, e => e.GetProperty("action").GetString() == "endpoint.deleted" && e.GetProperty("entity_id").GetString() == dst);
        Assert.Equal(sha, await RandomData.Sha256OfFileAsync(Path.Combine(inbox, "a.bin")));
    }

    private static Task<FerryClient.Reply> DeleteAsync(FerryClient client, string endpointId, string? ifMatch = null) =>
        client.SendAsync(HttpMethod.Delete, $"v1/endpoints/{endpointId}", null, ifMatch is null ? null : new Dictionary<string, string> { ["If-Match"] = ifMatch });
}
