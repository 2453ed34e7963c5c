using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Ferry.Server.Tests.Support;

namespace Ferry.Server.Tests;

/// <summary>Bad input of every kind gets a 4xx ProblemDetails naming what is wrong - never a 500, never a record.</summary>
public sealed class HostileInputTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private const string Ep = "ep_0000000000000000";

    private static string Transfer(string sourcePath, string extra = "") =>
        $$"""{"source":{"endpoint_id":"{{Ep}}","path":{{JsonSerializer.Serialize(sourcePath)}}},"target":{"endpoint_id":"{{Ep}}","path":"out/"}{{extra}}}""";

    /// <summary>method, path, body (null: none), content type, expected status, field the error must name (or null).</summary>
    public static TheoryData<string, string, string?, string, int, string?> Cases => new()
    {
        { "POST", "v1/transfers", "{\"source\":", "application/json", 400, null },
        { "POST", "v1/transfers", Transfer("a.txt", ",\"surprise\":1"), "application/json", 400, "surprise" },
        { "POST", "v1/transfers", "{\"source\":5}", "application/json", 400, "source" },
        { "POST", "v1/transfers", Transfer("../../etc/passwd"), "application/json", 400, "source.path" },
        { "POST", "v1/transfers", Transfer("a\u0000b"), "application/json", 400, "source.path" },
        { "POST", "v1/transfers", Transfer("/etc/passwd"), "application/json", 400, "source.path" },
        { "POST", "v1/transfers", Transfer(new string('a', 2000)), "application/json", 400, "source.path" },
        { "POST", "v1/transfers", Transfer("a.txt", ",\"policy\":{\"overwrite\":\"sometimes\"}"), "application/json", 400, "policy.overwrite" },
        { "POST", "v1/transfers", Transfer("a.txt", ",\"policy\":{\"retry\":{\"max_attempts\":0}}"), "application/json", 400, "policy.retry.max_attempts" },
        { "POST", "v1/transfers", Transfer("a.txt"), "application/json", 400, "source.endpoint_id" },
        { "POST", "v1/transfers", "{}", "application/json", 400, "source" },
        { "POST", "v1/transfers", "null", "application/json", 400, "$" },
        { "POST", "v1/transfers", "", "application/json", 400, null },
        { "POST", "v1/transfers", Transfer("a.txt"), "text/plain", 415, null },
        { "POST", "v1/transfers", "{\"x\":\"" + new string('a', 2 * 1024 * 1024) + "\"}", "application/json", 413, null },
        { "POST", "v1/transfers", new string('[', 100) + new string(']', 100), "application/json", 400, null },
        { "POST", "v1/endpoints", "{\"name\":\"x\",\"type\":\"ftp\"}", "application/json", 400, "type" },
        { "POST", "v1/endpoints", "{\"name\":\"x\",\"type\":\"sftp\",\"sftp\":{\"host\":\"bad host!\",\"username\":\"u\",\"host_key_sha256\":\"nope\"},\"credentials\":{\"password\":\"p\"}}", "application/json", 400, "sftp.host" },
        { "POST", "v1/endpoints", "{\"name\":\"x\",\"type\":\"sftp\",\"sftp\":{\"host\":\"h\",\"username\":\"u\",\"base_path\":\"a/../..\",\"trust_on_first_use\":true},\"credentials\":{\"password\":\"p\"}}", "application/json", 400, "sftp.base_path" },
        { "POST", "v1/endpoints", "{\"name\":\"x\",\"type\":\"sftp\",\"sftp\":{\"host\":\"h\",\"username\":\"u\"},\"credentials\":{\"password\":\"p\"}}", "application/json", 400, "sftp.host_key_sha256" },
        { "POST", "v1/endpoints", "{\"name\":\"x\",\"type\":\"sftp\",\"sftp\":{\"host\":\"h\",\"username\":\"u\",\"trust_on_first_use\":true}}", "application/json", 400, "credentials" },
        { "POST", "v1/endpoints", "{\"name\":\"x\",\"type\":\"s3\",\"s3\":{\"bucket\":\"UPPER_case\"}}", "application/json", 400, "s3.bucket" },
        { "POST", "v1/endpoints", "{\"name\":\"x\",\"type\":\"s3\",\"s3\":{\"bucket\":\"ok-bucket\",\"service_url\":\"ftp://x\"}}", "application/json", 400, "s3.service_url" },
        { "POST", "v1/endpoints", "{\"name\":\"x\",\"type\":\"s3\",\"max_concurrency\":0,\"s3\":{\"bucket\":\"ok-bucket\"}}", "application/json", 400, "max_concurrency" },
        { "POST", "v1/endpoints", "{\"name\":\"\",\"type\":\"s3\",\"s3\":{\"bucket\":\"ok-bucket\"}}", "application/json", 400, "name" },
        { "GET", "v1/jobs?limit=0", null, "", 400, "limit" },
        { "GET", "v1/batches/bat_x?wait_seconds=61", null, "", 400, "wait_seconds" },
        { "GET", "v1/jobs?status=BOGUS", null, "", 400, "status" },
        { "GET", "v1/jobs?cursor=!!garbage!!", null, "", 400, "cursor" },
        { "GET", "v1/jobs?created_from=yesterday", null, "", 400, null },
        { "GET", "v1/audit?cursor=abc", null, "", 400, "cursor" },
        { "GET", "v1/jobs/job_nope", null, "", 404, null },
        { "GET", "v1/endpoints/ep_nope", null, "", 404, null },
        { "POST", "v1/jobs/job_nope/redrive", null, "", 404, null },
        { "PATCH", $"v1/endpoints/{Ep}", "{}", "application/json", 404, null },
        { "POST", "v1/customers", "{\"name\":\"x\"}", "application/json", 403, null },
        { "POST", "v1/schedules", "{\"name\":\"x\",\"trigger\":{\"cron\":\"* * *\"}}", "application/json", 400, "trigger.cron" },
        { "POST", "v1/schedules", "{\"name\":\"x\",\"source\":{\"endpoint_id\":\"ep\",\"path\":\"\"},\"after_success\":{\"action\":\"move\"}}", "application/json", 400, "after_success.archive_path" },
        { "GET", "v1/schedules/sch_nope/decisions?limit=5000", null, "", 400, "limit" },
        { "POST", "v1/triggers", "{\"name\":\"x\",\"source\":{\"endpoint_id\":\"ep\",\"prefix\":\"/abs\"}}", "application/json", 400, "source.prefix" },
        { "POST", "v1/triggers", "{\"name\":\"x\",\"source\":{\"endpoint_id\":\"ep\",\"sqs_queue_url\":\"not a url\"}}", "application/json", 400, "source.sqs_queue_url" },
        { "POST", "v1/triggers", "{\"name\":\"x\",\"reconcile_seconds\":1}", "application/json", 400, "reconcile_seconds" },
        { "PATCH", "v1/triggers/trg_nope", "{}", "application/json", 404, null },
        { "POST", "v1/events/s3", "{\"Records\":[{}]}", "application/json", 400, "$" },
        { "POST", "v1/events/s3", "[1,2]", "application/json", 400, "$" },
        { "PUT", "v1/webhooks/job-failed", "{\"url\":\"javascript:alert(1)\"}", "application/json", 400, "url" },
        { "PUT", "v1/webhooks/job-failed", "{\"url\":\"http://x\",\"secret\":\"mine\"}", "application/json", 400, "secret" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task IsRejectedWithProblemDetails(string method, string path, string? body, string contentType, int status, string? field)
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        using var http = new HttpClient { BaseAddress = shared.Server.BaseAddress };
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(client));
        // The server answers an oversized body before reading it; with 100-continue the client hears that instead of a broken pipe.
        request.Headers.ExpectContinue = true;
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True((int)response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(text);
        Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
        if (field is not null)
        {
            Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _), text);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer fry_key_0000_notakey")]
    [InlineData("Basic dXNlcjpwYXNz")]
    public async Task WithoutAValidKey_Is401(string? authorization)
    {
        using var http = new HttpClient { BaseAddress = shared.Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/jobs");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task AdminKey_CannotActAsACustomer()
    {
        using var admin = new FerryClient(shared.Server, shared.Server.AdminKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.GetAsync("v1/jobs")).Status);
    }

    [Fact]
    public async Task OverlongIdempotencyKey_Is400()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        var reply = await client.TransferAsync(Ep, "a.txt", Ep, "b.txt", headers: new Dictionary<string, string> { ["Idempotency-Key"] = new('k', 300) });
        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.True(reply.Body.GetProperty("errors").TryGetProperty("Idempotency-Key", out _));
    }

    /// <summary>The token the client authenticates with (read back from its default headers).</summary>
    private static Task<string> TokenAsync(FerryClient client) => Task.FromResult(client.Token);
}
