using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>
/// Traces sent by the real OpenTelemetry OTLP/HTTP exporter of a running server to a collector
/// on loopback: spans for the API request, the schedule run and the job attempt, and no secret in any of it.
/// </summary>
[Collection("rig")]
public sealed class TracingTests(Rig rig)
{
    [Fact]
    public async Task AJob_IsTracedToTheCollector_WithoutAnySecret()
    {
        using var collector = new OtlpCollector();
        await using var server = new ServerProcess(new Dictionary<string, string>
        {
            ["FERRY__OTLPENDPOINT"] = collector.Url,
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200", // export every 200 ms instead of 5 s
            // The instrumentation's own redaction of query strings turned off: Ferry must keep tokens out by itself.
            ["OTEL_DOTNET_EXPERIMENTAL_ASPNETCORE_DISABLE_URL_QUERY_REDACTION"] = "true",
        });
        await server.StartAsync();
        using var client = await FerryClient.NewCustomerAsync(server);
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        await RandomData.WriteFileAsync(Path.Combine(dir, "traced.bin"), 20_000, seed: 51);
        var sftp = await client.RegisterSftpAsync(rig.Sftp, dir);
        var s3 = await client.RegisterS3Async(rig.S3, await rig.S3.NewBucketAsync());
        // The caller's own trace: the request's span joins it, and the job's attempt links to that span.
        var traceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var transfer = await client.TransferAsync(sftp, "traced.bin", s3, "out/traced.bin",
            headers: new Dictionary<string, string> { ["traceparent"] = $"00-{traceId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-01" });
        var jobId = transfer.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString()!;
        Assert.Equal("SUCCEEDED", (await client.WaitForJobAsync(jobId)).GetProperty("status").GetString());
        // An intake call carries its token in the query string.
        const string intakeToken = "intake-token-that-must-not-be-traced";
        using var anonymous = new HttpClient { BaseAddress = server.BaseAddress };
        var intake = await anonymous.PostAsync($"v1/events/s3?trigger_id=trg_x&token={intakeToken}", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.Unauthorized, intake.StatusCode);

        var traces = await collector.WaitForAsync(t => t.Contains("ferry.job.attempt") && t.Contains(jobId) && t.Contains("/v1/events/s3"), TimeSpan.FromSeconds(20));

        Assert.Contains("POST /v1/transfers", traces); // the API request's span
        Assert.Contains("ferry.flow", traces);
        // Trace ids travel as 16 raw bytes: once as the request span's own, once in the attempt's link.
        Assert.True(collector.Count(Convert.FromHexString(traceId)) >= 2, "the job's attempt should link to the request that created it");
        foreach (var secret in new[] { client.Token, server.AdminKey, rig.S3.SecretKey, intakeToken, File.ReadAllText(rig.Sftp.Ed25519KeyPath).Split('\n')[2] })
        {
            Assert.DoesNotContain(secret, traces);
        }
    }

    [Fact]
    public async Task AScheduleRun_IsTraced_AndItsJobsLinkToIt()
    {
        using var collector = new OtlpCollector();
        await using var server = new ServerProcess(new Dictionary<string, string>
        {
            ["FERRY__OTLPENDPOINT"] = collector.Url,
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        });
        await server.StartAsync();
        using var client = await FerryClient.NewCustomerAsync(server);
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        await RandomData.WriteFileAsync(Path.Combine(dir, "pulled.bin"), 10_000, seed: 52);
        var sftp = await client.RegisterSftpAsync(rig.Sftp, dir);
        var s3 = await client.RegisterS3Async(rig.S3, await rig.S3.NewBucketAsync());
        // A tick, not a request, starts the run: its span is the root of a trace of its own.
        var schedule = await client.PostAsync("v1/schedules", new
        {
            name = "traced pull",
            source = new { endpoint_id = sftp, path = "" },
            target = new { endpoint_id = s3, path = "in/{name}" },
            trigger = new { interval_seconds = 1 },
            min_age_seconds = 0,
            stable_seconds = 0,
        });
        Assert.True(schedule.Status == HttpStatusCode.Created, schedule.Text);
        var scheduleId = schedule.Str("schedule_id");

        var traces = await collector.WaitForAsync(t => t.Contains("ferry.schedule.run") && t.Contains(scheduleId) && t.Contains("ferry.job.attempt"), TimeSpan.FromSeconds(30));

        Assert.Contains("ferry.jobs_created", traces);
        var traceParent = await JobTraceParentAsync(server);
        Assert.True(traceParent is not null, "the schedule's job should remember the run's span");
        // The run span's trace id: once as the run span's own, once in the job attempt's link.
        Assert.True(collector.Count(Convert.FromHexString(traceParent.Split('-')[1])) >= 2, "the job's attempt should link to the schedule run that created it");
    }

    /// <summary>The traceparent the (only) job in the server's store was created with.</summary>
    private static async Task<string?> JobTraceParentAsync(ServerProcess server) =>
        await server.QueryStoreAsync("SELECT trace_parent FROM jobs") as string;

    /// <summary>Accepts OTLP/HTTP export requests (protobuf, whose strings are plain UTF-8) and keeps their bodies.</summary>
    private sealed class OtlpCollector : IDisposable
    {
        private readonly ConcurrentQueue<byte[]> _bodies = new();
        private readonly LoopbackHttpServer _server;

        public OtlpCollector()
        {
            _server = new LoopbackHttpServer("/", (request, body) =>
            {
                if (request.Url?.AbsolutePath == "/v1/traces")
                {
                    _bodies.Enqueue(body);
                }

                return 200;
            });
        }

        public string Url => _server.Url;

        /// <summary>Everything received so far as one string, once it satisfies <paramref name="done"/>.</summary>
        public async Task<string> WaitForAsync(Func<string, bool> done, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            string all;
            while (!done(all = string.Join("\n", _bodies.Select(b => Encoding.UTF8.GetString(b)))))
            {
                Assert.True(DateTime.UtcNow < deadline, $"the collector got {_bodies.Count} exports, not the expected spans:\n{all}");
                await Task.Delay(100);
            }

            return all;
        }

        /// <summary>How many times <paramref name="bytes"/> occur in the bodies received.</summary>
        public int Count(byte[] bytes) => _bodies.Sum(body =>
        {
            var n = 0;
            for (var at = body.AsSpan().IndexOf(bytes); at >= 0; at = body.AsSpan(at + 1).IndexOf(bytes) is var next and >= 0 ? at + 1 + next : -1)
            {
                n++;
            }

            return n;
        });

        public void Dispose() => _server.Dispose();
    }
}
