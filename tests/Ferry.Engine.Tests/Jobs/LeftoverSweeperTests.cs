using Ferry.Connectors.Local;
using Ferry.Core.Audit;
using Ferry.Core.Connectors;
using Ferry.Core.Endpoints;
using Ferry.Core.Errors;
using Ferry.Core.Jobs;
using Ferry.Engine.Jobs;
using Ferry.Stores.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Ferry.Engine.Tests.Jobs;

/// <summary>
/// The sweeper's decisions, on the SQLite stores and a local directory standing in for the
/// partner's server (the SFTP case runs end to end in the server's ResumeTests): it removes what a
/// failed job left once the target answers, backs off while it does not, leaves a live job's part
/// file alone, and gives up after <see cref="EngineOptions.LeftoverGiveUp"/>.
/// </summary>
public sealed class LeftoverSweeperTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("ferry-leftovers-").FullName;
    private readonly FakeTimeProvider _clock = new(T0);
    private readonly EngineOptions _options = new() { LeftoverRetry = TimeSpan.FromMinutes(1), LeftoverGiveUp = TimeSpan.FromDays(7) };
    private readonly Partner _partner = new();
    private SqliteDatabase _db = null!;
    private SqliteJobStore _jobs = null!;
    private SqliteLeftoverStore _leftovers = null!;
    private SqliteAuditLog _audit = null!;
    private LeftoverSweeper _sweeper = null!;

    public async Task InitializeAsync()
    {
        _db = await SqliteDatabase.OpenAsync(Path.Combine(_dir, "ferry.db"), default);
        (_jobs, _leftovers, _audit) = (new SqliteJobStore(_db), new SqliteLeftoverStore(_db), new SqliteAuditLog(_db));
        _partner.Target = new LocalConnector(Directory.CreateDirectory(Path.Combine(_dir, "partner")).FullName);
        var endpoints = new OneEndpoint(new Endpoint
        {
            EndpointId = "ep_dst",
            CustomerId = "acme",
            Name = "partner",
            Kind = EndpointKind.Sftp,
            CreatedAt = T0,
            UpdatedAt = T0,
        });
        _sweeper = new LeftoverSweeper(_leftovers, _jobs, endpoints, _partner, _audit, _options, NullLogger<LeftoverSweeper>.Instance, _clock);
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private string PartFile => Path.Combine(_dir, "partner", "out.bin.job_1.part");

    [Fact]
    public async Task WhileThePartnerIsDown_TheWaitDoubles_ThenThePartFileIsRemovedAndAudited()
    {
        await LeaveAsync("job_1");
        _partner.Down = true;

        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, await _sweeper.SweepAsync(default));
        var first = (await _leftovers.GetForJobAsync("acme", "job_1", default))!;
        Assert.Equal((1, _clock.GetUtcNow() + TimeSpan.FromMinutes(2)), (first.Attempts, first.NextAttemptAt));
        Assert.Equal("the partner is down", first.LastError);
        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(0, await _sweeper.SweepAsync(default));
        Assert.Equal(_clock.GetUtcNow() + TimeSpan.FromMinutes(4), (await _leftovers.GetForJobAsync("acme", "job_1", default))!.NextAttemptAt);
        Assert.True(File.Exists(PartFile));

        _partner.Down = false;
        _clock.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(0, await _sweeper.SweepAsync(default)); // not due yet
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await _sweeper.SweepAsync(default));

        Assert.False(File.Exists(PartFile));
        Assert.Null(await _leftovers.GetForJobAsync("acme", "job_1", default));
        var audited = Assert.Single((await _audit.ListAsync(new AuditQuery("acme", "job_1"), default)).Entries);
        Assert.Equal("job.leftover_removed", audited.Action);
        Assert.Contains("out.bin.job_1.part", audited.Changes, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ALiveJobsPartFile_IsLeftAlone()
    {
        var live = JobStateMachine.Submit(NewJob("job_1"), "test");
        await _jobs.CreateBatchAsync([live], default);
        await LeaveAsync("job_1");

        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, await _sweeper.SweepAsync(default));

        Assert.True(File.Exists(PartFile));
        var kept = (await _leftovers.GetForJobAsync("acme", "job_1", default))!;
        Assert.Equal((0, _clock.GetUtcNow() + TimeSpan.FromMinutes(1)), (kept.Attempts, kept.NextAttemptAt));
    }

    [Fact]
    public async Task AfterAWeekOfTries_TheSweeperGivesUp_AndSaysWhy()
    {
        await LeaveAsync("job_1");
        _partner.Down = true;

        _clock.Advance(TimeSpan.FromDays(7));
        Assert.Equal(0, await _sweeper.SweepAsync(default));

        Assert.Null(await _leftovers.GetForJobAsync("acme", "job_1", default));
        Assert.True(File.Exists(PartFile));
        var audited = Assert.Single((await _audit.ListAsync(new AuditQuery("acme", "job_1"), default)).Entries);
        Assert.Equal("job.leftover_abandoned", audited.Action);
        Assert.Contains("the partner is down", audited.Changes, StringComparison.Ordinal);
    }

    /// <summary>A failed job's part file at the partner, recorded as the executor records it.</summary>
    private async Task LeaveAsync(string jobId)
    {
        await File.WriteAllTextAsync(PartFile, "half a file");
        await _leftovers.AddAsync(new Leftover
        {
            LeftoverId = "lft_" + jobId,
            CustomerId = "acme",
            JobId = jobId,
            EndpointId = "ep_dst",
            PartPath = Path.GetFileName(PartFile),
            NextAttemptAt = T0 + _options.LeftoverRetry,
            CreatedAt = T0,
        }, default);
    }

    private TransferJob NewJob(string jobId) => new()
    {
        JobId = jobId,
        CustomerId = "acme",
        FlowType = "s3-to-sftp",
        SourceEndpointId = "ep_src",
        SourcePath = "in.bin",
        TargetEndpointId = "ep_dst",
        TargetPath = "out.bin",
        IdempotencyKey = jobId,
        CreatedAt = _clock.GetUtcNow(),
        UpdatedAt = _clock.GetUtcNow(),
    };

    /// <summary>The partner's server: a local directory that refuses deletes while <see cref="Down"/>.</summary>
    private sealed class Partner : IEndpointConnectors
    {
        public LocalConnector Target { get; set; } = null!;

        public bool Down { get; set; }

        public Task<ConnectorLease> GetAsync(Endpoint endpoint, CancellationToken cancellationToken) =>
            Down
                ? throw FerryException.Transient(ErrorCodes.ConnectionFailed, "the partner is down")
                : Task.FromResult(new ConnectorLease(Target));

        public Task<string?> ValidateAsync(Endpoint endpoint, EndpointCredentials credentials, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public void Forget(string endpointId) => throw new NotSupportedException();
    }

    private sealed class OneEndpoint(Endpoint endpoint) : IEndpointStore
    {
        public Task<bool> CreateAsync(Endpoint e, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<Endpoint?> GetAsync(string customerId, string endpointId, CancellationToken cancellationToken) =>
            Task.FromResult(customerId == endpoint.CustomerId && endpointId == endpoint.EndpointId ? endpoint : null);

        public Task<EndpointPage> ListAsync(string customerId, string? cursor, int limit, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> UpdateAsync(Endpoint after, long expectedVersion, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> DeleteAsync(string customerId, string endpointId, long expectedVersion, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
