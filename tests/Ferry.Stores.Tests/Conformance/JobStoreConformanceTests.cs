using Ferry.Core.Jobs;

namespace Ferry.Stores.Tests.Conformance;

/// <summary>
/// What every job store promises, run against each real store through a small subclass.
/// Time is passed in explicitly, so lease expiry is tested without sleeping.
/// </summary>
public abstract partial class JobStoreConformanceTests
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    /// <summary>A handle on the shared store under test, as a separate process would open it.</summary>
    protected abstract Task<IJobStore> OpenStoreAsync();

    protected static TransferJob NewJob(string customer = "acme", string? key = null, DateTimeOffset? at = null, string? batch = null) => new()
    {
        JobId = "j-" + Guid.NewGuid().ToString("N")[..16],
        CustomerId = customer,
        FlowType = "sftp-to-s3",
        SourceEndpointId = "ep-src",
        SourcePath = "in/file.csv",
        TargetEndpointId = "ep-dst",
        TargetPath = "out/file.csv",
        IdempotencyKey = key ?? Guid.NewGuid().ToString("N"),
        CreatedAt = at ?? T0,
        UpdatedAt = at ?? T0,
        BatchId = batch,
    };

    private static async Task<TransferJob> CreateQueuedAsync(IJobStore store, TransferJob job)
    {
        await store.CreateAsync(job, JobStateMachine.Created(job, "api"), default);
        return (await store.ApplyAsync(JobStateMachine.Enqueue(job, job.CreatedAt, "api"), default))!;
    }

    [Fact]
    public async Task CountsByStatusAndFlow_FollowCreatesAndTransitions_NotReplays()
    {
        var store = await OpenStoreAsync();
        var a = await CreateQueuedAsync(store, NewJob());
        await CreateQueuedAsync(store, NewJob());
        await CreateQueuedAsync(store, NewJob() with { FlowType = "s3-to-sftp" });
        await store.CreateAsync(a with { JobId = "j-replay" }, JobStateMachine.Created(a, "api"), default); // same key: no new job
        var claimed = await store.ApplyAsync(JobStateMachine.Claim(a, "w1", "local", T0, Lease), default);
        await store.ApplyAsync(JobStateMachine.Renew(claimed!, T0.AddSeconds(1), Lease, null), default); // same status

        var counts = (await (await OpenStoreAsync()).CountByStatusAsync(default)).Where(c => c.Count > 0)
            .Select(c => (c.Status, c.FlowType, c.Count)).Order().ToList();

        Assert.Equal([(JobStatus.Queued, "s3-to-sftp", 1L), (JobStatus.Queued, "sftp-to-s3", 1L), (JobStatus.Running, "sftp-to-s3", 1L)], counts);
    }

    [Fact]
    public async Task Create_KeepsTheCreatingRequestsTraceParent()
    {
        var store = await OpenStoreAsync();
        var job = NewJob() with { TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };

        await store.CreateAsync(job, JobStateMachine.Created(job, "api"), default);

        Assert.Equal(job.TraceParent, (await store.GetAsync(job.CustomerId, job.JobId, default))!.TraceParent);
    }

    [Fact]
    public async Task Create_SameIdempotencyKeyTwice_ReturnsTheFirstJob()
    {
        var store = await OpenStoreAsync();
        var first = NewJob(key: "k-" + Guid.NewGuid());
        var replay = NewJob(key: first.IdempotencyKey);

        var a = await store.CreateAsync(first, JobStateMachine.Created(first, "api"), default);
        var b = await store.CreateAsync(replay, JobStateMachine.Created(replay, "api"), default);

        Assert.True(a.Created);
        Assert.False(b.Created);
        Assert.Equal(first.JobId, b.Job.JobId);
        Assert.Null(await store.GetAsync(replay.CustomerId, replay.JobId, default));
    }

    [Fact]
    public async Task Create_SameKeyForAnotherCustomer_IsAnotherJob()
    {
        var store = await OpenStoreAsync();
        var key = "shared-" + Guid.NewGuid();

        var a = await store.CreateAsync(NewJob("acme", key), JobStateMachine.Created(NewJob(), "api"), default);
        var other = NewJob("globex", key);
        var b = await store.CreateAsync(other, JobStateMachine.Created(other, "api"), default);

        Assert.True(a.Created);
        Assert.True(b.Created);
    }

    [Fact]
    public async Task Claim_ManyConcurrentClaimers_ExactlyOneWins()
    {
        var job = await CreateQueuedAsync(await OpenStoreAsync(), NewJob());
        var stores = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => OpenStoreAsync()));

        // Every worker sees the job runnable, then all claim at once.
        var seen = await Task.WhenAll(stores.Select(s => s.FindRunnableAsync(T0, 1000, default)));
        var claims = await Task.WhenAll(stores.Select((s, i) => Task.Run(() =>
            s.ApplyAsync(JobStateMachine.Claim(seen[i].Single(j => j.JobId == job.JobId), $"worker-{i}", "eu", T0, Lease), default))));

        var winner = Assert.Single(claims, c => c is not null)!;
        Assert.Equal((JobStatus.Running, 1, 1L), (winner.Status, winner.Attempts, winner.LeaseToken));
        Assert.Equal(winner.LeaseOwner, (await stores[0].GetAsync(job.CustomerId, job.JobId, default))!.LeaseOwner);
    }

    [Fact]
    public async Task Renew_AfterTheLeaseExpired_Fails()
    {
        var store = await OpenStoreAsync();
        var job = await CreateQueuedAsync(store, NewJob());
        var claimed = (await store.ApplyAsync(JobStateMachine.Claim(job, "w1", "eu", T0, Lease), default))!;

        var inTime = await store.ApplyAsync(JobStateMachine.Renew(claimed, T0 + TimeSpan.FromSeconds(20), Lease, claimed.Checkpoint), default);
        var late = await store.ApplyAsync(JobStateMachine.Renew(inTime!, T0 + TimeSpan.FromSeconds(51), Lease, inTime!.Checkpoint), default);

        Assert.NotNull(inTime);
        Assert.Null(late);
    }

    [Fact]
    public async Task TakeOver_AfterExpiry_FencesTheOldWorkerOut()
    {
        var store = await OpenStoreAsync();
        var job = await CreateQueuedAsync(store, NewJob());
        var byOld = (await store.ApplyAsync(JobStateMachine.Claim(job, "old", "eu", T0, Lease), default))!;
        var later = T0 + TimeSpan.FromMinutes(2);

        var runnable = await store.FindRunnableAsync(later, 1000, default);
        var seen = Assert.Single(runnable, j => j.JobId == job.JobId);
        var byNew = await store.ApplyAsync(JobStateMachine.Claim(seen, "new", "us", later, Lease), default);
        var oldCommit = await store.ApplyAsync(JobStateMachine.StartVerifying(byOld, later, 10, null), default);

        Assert.Equal(("new", 2L, 1), (byNew!.LeaseOwner, byNew.LeaseToken, byNew.Attempts));
        Assert.Null(oldCommit);
    }

    [Fact]
    public async Task Apply_TwoTransitionsFromTheSameVersion_OnlyTheFirstApplies()
    {
        var store = await OpenStoreAsync();
        var job = NewJob();
        await store.CreateAsync(job, JobStateMachine.Created(job, "api"), default);

        var enqueued = await store.ApplyAsync(JobStateMachine.Enqueue(job, T0, "api"), default);
        var cancelled = await store.ApplyAsync(JobStateMachine.Cancel(job, T0, "user"), default);

        Assert.NotNull(enqueued);
        Assert.Null(cancelled);
        Assert.Equal(JobStatus.Queued, (await store.GetAsync(job.CustomerId, job.JobId, default))!.Status);
    }

    [Fact]
    public async Task Claim_TakesEverySlot_OrNoneAndLeavesTheJobQueued()
    {
        var store = await OpenStoreAsync();
        var (partner, bucket) = ("ep:" + Guid.NewGuid().ToString("N"), "ep:" + Guid.NewGuid().ToString("N"));
        var a = await CreateQueuedAsync(store, NewJob());
        var b = await CreateQueuedAsync(store, NewJob());
        var c = await CreateQueuedAsync(store, NewJob());

        var first = await store.ClaimAsync(JobStateMachine.Claim(a, "w", "eu", T0, Lease), [new(partner, 1), new(bucket, 2)], T0 + Lease, default);
        // The bucket has a slot left, the partner none: b gets neither, and stays as it was.
        var refused = await store.ClaimAsync(JobStateMachine.Claim(b, "w", "eu", T0, Lease), [new(bucket, 2), new(partner, 1)], T0 + Lease, default);
        var third = await store.ClaimAsync(JobStateMachine.Claim(c, "w", "eu", T0, Lease), [new(bucket, 2)], T0 + Lease, default);

        Assert.Equal([new HeldSlot(partner, 0), new HeldSlot(bucket, 0)], first!.Slots);
        Assert.Equal((JobStatus.Running, "w"), (first.Job.Status, first.Job.LeaseOwner));
        Assert.Null(refused);
        var unchanged = (await store.GetAsync(b.CustomerId, b.JobId, default))!;
        Assert.Equal((JobStatus.Queued, b.Version, 0), (unchanged.Status, unchanged.Version, unchanged.Attempts));
        Assert.Equal([new HeldSlot(bucket, 1)], third!.Slots); // the slot b had taken in passing was given back with it
    }

    [Fact]
    public async Task Claim_ThatLosesTheRace_LeavesNoSlotTaken_AndAnExpiredSlotIsTakenOver()
    {
        var store = await OpenStoreAsync();
        var partner = "ep:" + Guid.NewGuid().ToString("N");
        var job = await CreateQueuedAsync(store, NewJob());
        var other = await CreateQueuedAsync(store, NewJob());
        var late = await CreateQueuedAsync(store, NewJob());

        var won = await store.ClaimAsync(JobStateMachine.Claim(job, "w1", "eu", T0, Lease), [], T0 + Lease, default);
        var lost = await store.ClaimAsync(JobStateMachine.Claim(job, "w2", "eu", T0, Lease), [new(partner, 1)], T0 + Lease, default);
        var free = await store.ClaimAsync(JobStateMachine.Claim(other, "w2", "eu", T0, Lease), [new(partner, 1)], T0 + Lease, default);
        var takenOver = await store.ClaimAsync(JobStateMachine.Claim(late, "w3", "eu", T0 + Lease, Lease), [new(partner, 1)], T0 + Lease + Lease, default);

        Assert.Equal(("w1", 0), (won!.Job.LeaseOwner, won.Slots.Count));
        Assert.Null(lost);
        Assert.Equal([new HeldSlot(partner, 0)], free!.Slots);
        Assert.Equal([new HeldSlot(partner, 0)], takenOver!.Slots); // other's slot expired with its lease
    }

    [Fact]
    public async Task TwoStepsInOneWrite_AppendBothEvents_OrNeither()
    {
        var store = await OpenStoreAsync();
        var job = await CreateQueuedAsync(store, NewJob());
        var running = (await store.ApplyAsync(JobStateMachine.Claim(job, "w", "eu", T0, Lease), default))!;
        var renewed = (await store.ApplyAsync(JobStateMachine.Renew(running, T0 + TimeSpan.FromSeconds(5), Lease, null), default))!;

        var stale = await store.ApplyAsync(JobStateMachine.SucceedOnDelivery(running, T0 + TimeSpan.FromSeconds(6), 42, "ab"), default);
        var eventsBefore = (await store.GetEventsAsync(job.CustomerId, job.JobId, default)).Count;
        var done = await store.ApplyAsync(JobStateMachine.SucceedOnDelivery(renewed, T0 + TimeSpan.FromSeconds(6), 42, "ab"), default);

        Assert.Null(stale);
        var stored = (await store.GetAsync(job.CustomerId, job.JobId, default))!;
        Assert.Equal((JobStatus.Succeeded, done!.Version, 42L), (stored.Status, stored.Version, stored.Bytes));
        var events = await store.GetEventsAsync(job.CustomerId, job.JobId, default);
        Assert.Equal([(JobStatus.Running, JobStatus.Verifying), (JobStatus.Verifying, JobStatus.Succeeded)], events.Skip(eventsBefore).Select(e => (e.From, e.To)));
    }

    [Fact]
    public async Task TerminalStates_NeverChange_EvenForAForgedTransition()
    {
        var store = await OpenStoreAsync();
        var job = await CreateQueuedAsync(store, NewJob());
        var running = (await store.ApplyAsync(JobStateMachine.Claim(job, "w", "eu", T0, Lease), default))!;
        var verifying = (await store.ApplyAsync(JobStateMachine.StartVerifying(running, T0, 42, "ab"), default))!;
        var done = (await store.ApplyAsync(JobStateMachine.Succeed(verifying, T0, 42, "ab"), default))!;

        Assert.Throws<JobTransitionException>(() => JobStateMachine.Cancel(done, T0, "user"));
        var forged = new JobTransition(done with { Status = JobStatus.Queued, Version = done.Version + 1 }, done.Version, JobStatus.Succeeded,
            null, null, [new JobEvent(done.JobId, done.Version + 1, JobStatus.Succeeded, JobStatus.Queued, T0, "mallory", "forged")]);
        Assert.Null(await store.ApplyAsync(forged, default));
        Assert.Equal(JobStatus.Succeeded, (await store.GetAsync(job.CustomerId, job.JobId, default))!.Status);
    }

    [Fact]
    public async Task FindRunnable_SkipsHeldLeasesAndFutureRetriesButFindsExpiredLeases()
    {
        var store = await OpenStoreAsync();
        var customer = "run-" + Guid.NewGuid().ToString("N")[..6];
        var held = (await store.ApplyAsync(JobStateMachine.Claim(await CreateQueuedAsync(store, NewJob(customer)), "w", "eu", T0, Lease), default))!;
        var retrying = (await store.ApplyAsync(JobStateMachine.Claim(await CreateQueuedAsync(store, NewJob(customer)), "w", "eu", T0, Lease), default))!;
        retrying = (await store.ApplyAsync(JobStateMachine.ScheduleRetry(retrying, T0, T0 + TimeSpan.FromMinutes(5), "TIMEOUT", "slow", retrying.Checkpoint), default))!;
        var queued = await CreateQueuedAsync(store, NewJob(customer));

        async Task<string[]> RunnableAt(DateTimeOffset t) =>
            (await store.FindRunnableAsync(t, 1000, default)).Where(j => j.CustomerId == customer).Select(j => j.JobId).Order().ToArray();

        Assert.Equal([queued.JobId], await RunnableAt(T0 + TimeSpan.FromSeconds(10)));
        Assert.Equal(new[] { queued.JobId, held.JobId }.Order(), await RunnableAt(T0 + TimeSpan.FromMinutes(1)));
        Assert.Equal(new[] { queued.JobId, held.JobId, retrying.JobId }.Order(), await RunnableAt(T0 + TimeSpan.FromMinutes(6)));
    }

    [Fact]
    public async Task FindRunnable_WithALimit_GivesTheOldestDueFirst()
    {
        var store = await OpenStoreAsync();
        var customer = "due-" + Guid.NewGuid().ToString("N")[..6];
        // A year before the other tests' jobs, so a store they share still has these due first.
        // Created newest first, so neither insertion order nor job id order is the answer.
        var t0 = T0.AddYears(-1);
        var newest = await CreateQueuedAsync(store, NewJob(customer, at: t0 + TimeSpan.FromSeconds(3)));
        var middle = await CreateQueuedAsync(store, NewJob(customer, at: t0 + TimeSpan.FromSeconds(2)));
        var retried = (await store.ApplyAsync(JobStateMachine.Claim(await CreateQueuedAsync(store, NewJob(customer, at: t0)), "w", "eu", t0, Lease), default))!;
        retried = (await store.ApplyAsync(JobStateMachine.ScheduleRetry(retried, t0, t0 + TimeSpan.FromSeconds(1), "TIMEOUT", "slow", null), default))!;
        var later = t0 + TimeSpan.FromMinutes(1);

        var first = (await store.FindRunnableAsync(later, 2, default)).Where(j => j.CustomerId == customer).Select(j => j.JobId);
        var all = (await store.FindRunnableAsync(later, 1000, default)).Where(j => j.CustomerId == customer).Select(j => j.JobId);

        Assert.Equal([retried.JobId, middle.JobId], first);
        Assert.Equal([retried.JobId, middle.JobId, newest.JobId], all);
    }

    [Fact]
    public async Task List_PagingWhileNewJobsArrive_ReturnsEachOriginalJobOnceInOrder()
    {
        var store = await OpenStoreAsync();
        var customer = "page-" + Guid.NewGuid().ToString("N")[..6];
        var original = new List<TransferJob>();
        for (var i = 0; i < 25; i++)
        {
            var j = NewJob(customer, at: T0 + TimeSpan.FromSeconds(i % 10));
            await store.CreateAsync(j, JobStateMachine.Created(j, "api"), default);
            original.Add(j);
        }

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await store.ListAsync(new JobQuery(customer, Cursor: cursor, Limit: 7), default);
            seen.AddRange(page.Jobs.Select(j => j.JobId));
            cursor = page.NextCursor;
            if (pages++ == 0)
            {
                for (var i = 0; i < 5; i++)
                {
                    var newer = NewJob(customer, at: T0 + TimeSpan.FromMinutes(1));
                    await store.CreateAsync(newer, JobStateMachine.Created(newer, "api"), default);
                }
            }
        }
        while (cursor is not null);

        var expected = original.OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.JobId, StringComparer.Ordinal).Select(j => j.JobId);
        Assert.Equal(expected, seen);
        Assert.Equal(4, pages);
    }

    [Fact]
    public async Task OtherCustomers_CannotSeeAJobOrItsHistory()
    {
        var store = await OpenStoreAsync();
        var job = await CreateQueuedAsync(store, NewJob("acme-" + Guid.NewGuid().ToString("N")[..6]));

        Assert.Null(await store.GetAsync("globex", job.JobId, default));
        Assert.Empty(await store.GetEventsAsync("globex", job.JobId, default));
        Assert.DoesNotContain((await store.ListAsync(new JobQuery("globex"), default)).Jobs, j => j.JobId == job.JobId);
        Assert.Equal(2, (await store.GetEventsAsync(job.CustomerId, job.JobId, default)).Count);
    }

    [Fact]
    public async Task History_RecordsEveryTransitionInOrder()
    {
        var store = await OpenStoreAsync();
        var job = await CreateQueuedAsync(store, NewJob());
        var running = (await store.ApplyAsync(JobStateMachine.Claim(job, "w", "eu", T0, Lease), default))!;
        var failed = (await store.ApplyAsync(JobStateMachine.Fail(running, T0, "AUTHENTICATION_FAILED", "wrong password"), default))!;

        var events = await store.GetEventsAsync(job.CustomerId, job.JobId, default);

        Assert.Equal(["created", "queued", "claimed", "failed"], events.Select(e => e.Kind));
        Assert.Equal([JobStatus.Received, JobStatus.Queued, JobStatus.Running, JobStatus.Failed], events.Select(e => e.To));
        Assert.Equal(("AUTHENTICATION_FAILED", "wrong password"), (failed.ErrorCode, failed.ErrorMessage));
    }

    [Fact]
    public async Task CountBatch_CountsOneCustomersBatchByStatus()
    {
        var store = await OpenStoreAsync();
        var customer = "acme-" + Guid.NewGuid().ToString("N")[..6];
        var batch = "bat-" + Guid.NewGuid().ToString("N")[..8];
        var first = await CreateQueuedAsync(store, NewJob(customer, batch: batch));
        await CreateQueuedAsync(store, NewJob(customer, batch: batch));
        await CreateQueuedAsync(store, NewJob(customer, batch: "another"));
        await store.ApplyAsync(JobStateMachine.Cancel(first, T0, "api"), default);

        var counts = await store.CountBatchAsync(customer, batch, default);

        Assert.Equal([(JobStatus.Queued, 1L), (JobStatus.Cancelled, 1L)],
            counts.GroupBy(c => c.Status).OrderBy(g => g.Key).Select(g => (g.Key, g.Sum(c => c.Count))));
        Assert.Empty(await store.CountBatchAsync("globex", batch, default));
    }
}
