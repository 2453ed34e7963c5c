using Ferry.Connectors.Local;
using Ferry.Core.Audit;
using Ferry.Core.Endpoints;
using Ferry.Core.Jobs;
using Ferry.Engine.Jobs;
using Ferry.Stores.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Engine.Tests.Jobs;

/// <summary>
/// A worker is free for the next job once a job's outcome is recorded: the writes that follow it
/// (the audit entry, the concurrency slots given back) commit while the next job runs, and a
/// shutdown still waits for them. The engine runs on the SQLite stores, with local directories as
/// its endpoints' connectors, and an audit log that holds the first job's entry back.
/// </summary>
public sealed class TrailingWritesTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly string _dir = Directory.CreateTempSubdirectory("ferry-trailing-").FullName;
    private SqliteDatabase _db = null!;
    private SqliteJobStore _jobs = null!;

    private string Source => Path.Combine(_dir, "source");

    private string Target => Path.Combine(_dir, "target");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Source);
        Directory.CreateDirectory(Target);
        _db = await SqliteDatabase.OpenAsync(Path.Combine(_dir, "ferry.db"), default);
        _jobs = new SqliteJobStore(_db);
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task TheNextJobRuns_WhileTheLastOnesAuditEntryIsStillBeingWritten_AndShutdownWaitsForIt()
    {
        var endpoints = new SqliteEndpointStore(_db);
        var slots = new SqliteConcurrencySlots(_db);
        await endpoints.CreateAsync(Endpoint("ep_src"), default);
        await endpoints.CreateAsync(Endpoint("ep_dst"), default);
        var audit = new HeldBackAudit(new SqliteAuditLog(_db));
        using var metrics = new EngineMetrics();
        using var engine = new JobEngine(_jobs, new SqliteLeftoverStore(_db), endpoints, slots, new LocalDirectories(Source, Target), audit,
            new EngineOptions { Workers = 1, PollInterval = TimeSpan.FromMilliseconds(50) }, metrics, NullLogger<JobEngine>.Instance);
        var first = await QueuedJobAsync("first.bin");
        audit.HoldBack(first.JobId);
        await engine.StartAsync(default);

        await WaitForAsync(first, JobStatus.Succeeded);
        var second = await QueuedJobAsync("second.bin");
        engine.Wake();
        // With one worker, the second job can only run if the first one's worker did not wait for its audit entry.
        await WaitForAsync(second, JobStatus.Succeeded);
        Assert.DoesNotContain(first.JobId, await AuditedJobsAsync(audit));

        var stopping = engine.StopAsync(default);
        await Task.Delay(200);
        Assert.False(stopping.IsCompleted, "shutdown must wait for the entry still being written");
        audit.Release();
        await stopping;

        Assert.Equal(new[] { first.JobId, second.JobId }.Order(), (await AuditedJobsAsync(audit)).Order());
        var now = DateTimeOffset.UtcNow;
        Assert.Equal((0, 0), (await slots.CountHeldAsync(JobEngine.SlotResource("ep_src"), now, default), await slots.CountHeldAsync(JobEngine.SlotResource("ep_dst"), now, default)));
    }

    private async Task<TransferJob> QueuedJobAsync(string name)
    {
        await File.WriteAllBytesAsync(Path.Combine(Source, name), new byte[4096]);
        var now = DateTimeOffset.UtcNow;
        var submission = JobStateMachine.Submit(new TransferJob
        {
            JobId = "job_" + Guid.NewGuid().ToString("N"),
            CustomerId = "acme",
            FlowType = "local-to-local",
            SourceEndpointId = "ep_src",
            SourcePath = name,
            TargetEndpointId = "ep_dst",
            TargetPath = name,
            IdempotencyKey = Guid.NewGuid().ToString("N"),
            CreatedAt = now,
            UpdatedAt = now,
        }, "test");
        return (await _jobs.CreateBatchAsync([submission], default))[0].Job;
    }

    private async Task WaitForAsync(TransferJob job, JobStatus status)
    {
        using var patience = new CancellationTokenSource(Patience);
        while ((await _jobs.GetAsync(job.CustomerId, job.JobId, default))?.Status != status)
        {
            await Task.Delay(20, patience.Token);
        }
    }

    private static async Task<List<string>> AuditedJobsAsync(IAuditLog audit) =>
        (await audit.ListAsync(new AuditQuery("acme"), default)).Entries.Where(e => e.Action == "job.succeeded").Select(e => e.EntityId).ToList();

    private static Endpoint Endpoint(string id) => new()
    {
        EndpointId = id,
        CustomerId = "acme",
        Name = id,
        Kind = EndpointKind.Sftp,
        CreatedAt = DateTimeOffset.UtcNow,
        UpdatedAt = DateTimeOffset.UtcNow,
    };

    /// <summary>The source endpoint reads one directory, the target writes another.</summary>
    private sealed class LocalDirectories(string source, string target) : IEndpointConnectors
    {
        private readonly LocalConnector _source = new(source);
        private readonly LocalConnector _target = new(target);

        public Task<ConnectorLease> GetAsync(Endpoint endpoint, CancellationToken cancellationToken) =>
            Task.FromResult(new ConnectorLease(endpoint.EndpointId == "ep_src" ? _source : _target));

        public Task<string?> ValidateAsync(Endpoint endpoint, EndpointCredentials credentials, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public void Forget(string endpointId)
        {
        }
    }

    /// <summary>Holds back the success entry of one job until released, as a slow store would.</summary>
    private sealed class HeldBackAudit(IAuditLog inner) : IAuditLog
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private string? _heldJob;

        public void HoldBack(string jobId) => _heldJob = jobId;

        public void Release() => _released.TrySetResult();

        public async Task AppendAsync(AuditEntry entry, CancellationToken cancellationToken)
        {
            if (entry.EntityId == _heldJob)
            {
                await _released.Task.WaitAsync(cancellationToken);
            }

            await inner.AppendAsync(entry, cancellationToken);
        }

        public Task<AuditPage> ListAsync(AuditQuery query, CancellationToken cancellationToken) => inner.ListAsync(query, cancellationToken);

        public Task<int> PruneAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken) => inner.PruneAsync(before, limit, cancellationToken);
    }
}
