using Ferry.Connectors.Local;
using Ferry.Core.Jobs;
using Ferry.Engine.Flows;
using Ferry.Engine.Jobs;
using Ferry.Stores.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Ferry.Engine.Tests.Jobs;

/// <summary>
/// A worker that has lost its lease must not deliver: the lease is checked against the store right
/// before the commit point (here the rename into place), on a clock the test moves.
/// </summary>
public sealed class LeaseFencingTests : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("ferry-fencing-").FullName;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
    private SqliteDatabase _db = null!;
    private SqliteJobStore _store = null!;

    private string Source => Path.Combine(_dir, "source");

    private string Target => Path.Combine(_dir, "target");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Source);
        Directory.CreateDirectory(Target);
        await File.WriteAllBytesAsync(Path.Combine(Source, "in.bin"), Enumerable.Range(0, 65536).Select(i => (byte)i).ToArray());
        _db = await SqliteDatabase.OpenAsync(Path.Combine(_dir, "ferry.db"), default);
        _store = new SqliteJobStore(_db);
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task AWorkerWhoseJobWasTakenOver_StopsBeforeTheRename_AndDeliversNothing()
    {
        var claimedByA = await ClaimAsync(await QueuedJobAsync(), "worker-a");
        using var heldByA = new LeasedJob(_store, claimedByA, _clock, Lease);
        // Worker A stalls past its lease (a long GC pause, a frozen VM); worker B takes the job over.
        _clock.Advance(Lease + TimeSpan.FromSeconds(1));
        var claimedByB = await ClaimAsync(claimedByA, "worker-b");

        await Assert.ThrowsAsync<LeaseLostException>(() => new TransferRunner(_clock).RunAsync(Request(claimedByA, heldByA), default));

        Assert.Empty(Directory.EnumerateFileSystemEntries(Target, "*", SearchOption.AllDirectories));
        var stored = await _store.GetAsync(claimedByA.CustomerId, claimedByA.JobId, default);
        Assert.Equal(("worker-b", claimedByB.LeaseToken), (stored!.LeaseOwner, stored.LeaseToken));
    }

    [Fact]
    public async Task AWorkerStillHoldingAnOlderLease_Delivers_AndTheCheckExtendsTheLease()
    {
        var claimed = await ClaimAsync(await QueuedJobAsync(), "worker-a");
        using var held = new LeasedJob(_store, claimed, _clock, Lease);
        _clock.Advance(Lease - TimeSpan.FromSeconds(1));

        await new TransferRunner(_clock).RunAsync(Request(claimed, held), default);

        Assert.Equal(65536, new FileInfo(Path.Combine(Target, "out.bin")).Length);
        Assert.Equal(_clock.GetUtcNow() + Lease, held.Current.LeaseExpiresAt);
    }

    [Fact]
    public async Task ALeaseTakenWithinTheLastThirdOfItsLength_IsNotWrittenAgainBeforeTheCommit()
    {
        var claimed = await ClaimAsync(await QueuedJobAsync(), "worker-a");
        using var held = new LeasedJob(_store, claimed, _clock, Lease);
        _clock.Advance(Lease / 3 - TimeSpan.FromSeconds(1));

        await new TransferRunner(_clock).RunAsync(Request(claimed, held), default);

        Assert.Equal(65536, new FileInfo(Path.Combine(Target, "out.bin")).Length);
        var stored = await _store.GetAsync(claimed.CustomerId, claimed.JobId, default);
        Assert.Equal((claimed.Version, claimed.LeaseExpiresAt), (stored!.Version, stored.LeaseExpiresAt));
    }

    private TransferRequest Request(TransferJob job, LeasedJob held) => new(
        new TransferLocation(new LocalConnector(Source), "in.bin"),
        new TransferLocation(new LocalConnector(Target), "out.bin"),
        job.JobId,
        Hooks: new TransferHooks(BeforeCommit: held.EnsureHeldAsync));

    private async Task<TransferJob> QueuedJobAsync()
    {
        var now = _clock.GetUtcNow();
        var submission = JobStateMachine.Submit(new TransferJob
        {
            JobId = "job_" + Guid.NewGuid().ToString("N"),
            CustomerId = "acme",
            FlowType = "local-to-local",
            SourceEndpointId = "ep_src",
            SourcePath = "in.bin",
            TargetEndpointId = "ep_dst",
            TargetPath = "out.bin",
            IdempotencyKey = Guid.NewGuid().ToString("N"),
            CreatedAt = now,
            UpdatedAt = now,
        }, "test");
        return (await _store.CreateBatchAsync([submission], default))[0].Job;
    }

    private async Task<TransferJob> ClaimAsync(TransferJob job, string worker)
    {
        Assert.True(JobStateMachine.IsClaimable(job, _clock.GetUtcNow()));
        return await _store.ApplyAsync(JobStateMachine.Claim(job, worker, "local", _clock.GetUtcNow(), Lease), default)
            ?? throw new InvalidOperationException($"{worker} could not claim {job.JobId}");
    }
}
