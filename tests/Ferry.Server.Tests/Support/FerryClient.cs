using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Ferry.TestRig;

namespace Ferry.Server.Tests.Support;

/// <summary>The REST API as a client sees it: JSON in, status and JSON out, one customer's key.</summary>
public sealed class FerryClient : IDisposable
{
    private readonly HttpClient _http;

    public FerryClient(ServerProcess server, string token)
    {
        Token = token;
        _http = new HttpClient(server.CreateHandler()) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(90) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public string Token { get; }

    public sealed record Reply(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Message)
    {
        public string Text => Body.ValueKind == JsonValueKind.Undefined ? "" : Body.GetRawText();

        public string Str(string name) => Body.GetProperty(name).GetString()!;
    }

    /// <summary>A new customer (through the admin key) and a client holding its first API key.</summary>
    public static async Task<FerryClient> NewCustomerAsync(ServerProcess server)
    {
        using var admin = new FerryClient(server, server.AdminKey);
        var created = await admin.SendAsync(HttpMethod.Post, "v1/customers", new { name = "Test customer " + Guid.NewGuid().ToString("N")[..6] });
        Assert.True(created.Status == HttpStatusCode.Created, created.Text);
        return new FerryClient(server, created.Body.GetProperty("api_key").GetProperty("token").GetString()!);
    }

    public Task<Reply> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null);

    public Task<Reply> PostAsync(string path, object? body, IDictionary<string, string>? headers = null) => SendAsync(HttpMethod.Post, path, body, headers);

    public async Task<Reply> SendAsync(HttpMethod method, string path, object? body, IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        }

        foreach (var (k, v) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(k, v);
        }

        var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = text.Length > 0 && (response.Content.Headers.ContentType?.MediaType ?? "").Contains("json", StringComparison.Ordinal)
            ? JsonDocument.Parse(text).RootElement.Clone()
            : default;
        return new Reply(response.StatusCode, json, response);
    }

    public async Task<string> RegisterSftpAsync(SftpServer sftp, string basePath, int maxConcurrency = 4, int? port = null, string? username = null)
    {
        var reply = await PostAsync("v1/endpoints", SftpBody(sftp, basePath, maxConcurrency, port: port, username: username));
        Assert.True(reply.Status == HttpStatusCode.Created, reply.Text);
        return reply.Str("endpoint_id");
    }

    /// <param name="username">Another of the rig's users that logs in with the ed25519 key (the default: the ed25519 user).</param>
    public static object SftpBody(
        SftpServer sftp, string basePath, int maxConcurrency = 4, string? hostKey = null, object? credentials = null, int? port = null, string? username = null) => new
    {
        name = "partner sftp",
        type = "sftp",
        max_concurrency = maxConcurrency,
        sftp = new { host = sftp.Host, port = port ?? sftp.Port, username = username ?? sftp.Ed25519User, base_path = basePath, host_key_sha256 = hostKey ?? sftp.HostKey },
        credentials = credentials ?? new { private_key = File.ReadAllText(sftp.Ed25519KeyPath) },
    };

    /// <param name="port">Another port on the S3 server's host (a proxy in front of it), instead of the server's own.</param>
    public async Task<string> RegisterS3Async(S3Server s3, string bucket, string prefix = "", string? encryption = null, string? kmsKeyId = null, int? port = null)
    {
        var reply = await PostAsync("v1/endpoints", S3Body(s3, bucket, prefix, encryption: encryption, kmsKeyId: kmsKeyId, port: port));
        Assert.True(reply.Status == HttpStatusCode.Created, reply.Text);
        return reply.Str("endpoint_id");
    }

    public static object S3Body(S3Server s3, string bucket, string prefix = "", string? secret = null, string? encryption = null, string? kmsKeyId = null, int? port = null) => new
    {
        name = "bucket " + bucket,
        type = "s3",
        s3 = new
        {
            bucket, prefix, region = "us-east-1", encryption, kms_key_id = kmsKeyId,
            service_url = port is { } p ? new UriBuilder(s3.Endpoint) { Port = p }.Uri.ToString().TrimEnd('/') : s3.Endpoint,
        },
        credentials = new { access_key_id = s3.AccessKey, secret_access_key = secret ?? s3.SecretKey },
    };

    public Task<Reply> TransferAsync(string sourceEndpoint, string sourcePath, string targetEndpoint, string targetPath, object? policy = null, IDictionary<string, string>? headers = null) =>
        PostAsync("v1/transfers", new
        {
            source = new { endpoint_id = sourceEndpoint, path = sourcePath },
            target = new { endpoint_id = targetEndpoint, path = targetPath },
            policy,
        }, headers);

    /// <summary>Polls until the job is SUCCEEDED, FAILED or CANCELLED; returns it with its attempts.</summary>
    public async Task<JsonElement> WaitForJobAsync(string jobId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(2));
        while (true)
        {
            var job = await GetAsync($"v1/jobs/{jobId}");
            Assert.Equal(HttpStatusCode.OK, job.Status);
            if (job.Str("status") is "SUCCEEDED" or "FAILED" or "CANCELLED")
            {
                return job.Body;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"job {jobId} is still {job.Str("status")}: {job.Text}");
            }

            await Task.Delay(100);
        }
    }

    public void Dispose() => _http.Dispose();
}
