using System.Net;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>Revoking a customer's API key through the admin API.</summary>
[Collection("rig")]
public sealed class ApiKeyRevocationTests(SharedServer shared) : IClassFixture<SharedServer>
{
    [Fact]
    public async Task ARevokedKey_IsRefusedAtOnce_EvenRightAfterBeingUsed_AndTheCustomersOtherKeyStillWorks()
    {
        using var admin = new FerryClient(shared.Server, shared.Server.AdminKey);
        var created = await admin.PostAsync("v1/customers", new { name = "Revocation" });
        Assert.True(created.Status == HttpStatusCode.Created, created.Text);
        var customer = created.Str("customer_id");
        var second = await admin.PostAsync($"v1/customers/{customer}/api-keys", new { name = "ci" });
        Assert.True(second.Status == HttpStatusCode.Created, second.Text);
        using var first = new FerryClient(shared.Server, created.Body.GetProperty("api_key").GetProperty("token").GetString()!);
        using var revoked = new FerryClient(shared.Server, second.Str("token"));
        // Used just before: the server has the key cached (for up to 10 s).
        Assert.Equal(HttpStatusCode.OK, (await revoked.GetAsync("v1/endpoints")).Status);

        var revoke = await admin.SendAsync(HttpMethod.Delete, $"v1/customers/{customer}/api-keys/{second.Str("key_id")}", null);

        Assert.Equal(HttpStatusCode.NoContent, revoke.Status);
        var refused = await revoked.GetAsync("v1/endpoints");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.Contains("unknown or revoked", refused.Text);
        Assert.Equal(HttpStatusCode.OK, (await first.GetAsync("v1/endpoints")).Status);
        var keys = await admin.GetAsync($"v1/customers/{customer}/api-keys");
        var listed = keys.Body.GetProperty("api_keys").EnumerateArray().Single(k => k.GetProperty("key_id").GetString() == second.Str("key_id"));
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, listed.GetProperty("revoked_at").ValueKind);
    }

    [Fact]
    public async Task AKeyPastItsExpiry_IsRefusedSayingWhen_AndOneExpiringInThePastCannotBeMade()
    {
        using var admin = new FerryClient(shared.Server, shared.Server.AdminKey);
        var customer = (await admin.PostAsync("v1/customers", new { name = "Expiry" })).Str("customer_id");
        var expires = DateTimeOffset.UtcNow.AddSeconds(3);
        var made = await admin.PostAsync($"v1/customers/{customer}/api-keys", new { name = "partner for the audit week", scope = "read", expires_at = expires });
        var past = await admin.PostAsync($"v1/customers/{customer}/api-keys", new { name = "late", expires_at = DateTimeOffset.UtcNow.AddMinutes(-1) });
        using var temporary = new FerryClient(shared.Server, made.Str("token"));

        var before = await temporary.GetAsync("v1/jobs");
        await Task.Delay(expires - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(0.5));
        var after = await temporary.GetAsync("v1/jobs");

        Assert.True(made.Status == HttpStatusCode.Created, made.Text);
        Assert.InRange(made.Body.GetProperty("expires_at").GetDateTimeOffset() - expires, TimeSpan.FromMilliseconds(-1), TimeSpan.FromMilliseconds(1));
        Assert.Equal(HttpStatusCode.OK, before.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, after.Status);
        Assert.Contains($"The API key {made.Str("key_id")} expired at", after.Str("detail"));
        Assert.Equal(HttpStatusCode.BadRequest, past.Status);
        Assert.Equal("must be a time in the future, at most 10 years away", past.Body.GetProperty("errors").GetProperty("expires_at")[0].GetString());
        var listed = (await admin.GetAsync($"v1/customers/{customer}/api-keys")).Body.GetProperty("api_keys").EnumerateArray().ToList();
        Assert.Equal(2, listed.Count); // the initial key and the one that expired; "late" was never made
        Assert.Contains(listed, k => k.TryGetProperty("expires_at", out var e) && e.ValueKind == System.Text.Json.JsonValueKind.String);
    }
}
