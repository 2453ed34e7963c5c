using Ferry.Core.Jobs;

namespace Ferry.Stores.Tests.Conformance;

/// <summary>Retention: finished jobs go with their history; their idempotency keys stay taken.</summary>
public abstract partial class JobStoreConformanceTests
{
    private static async Task<TransferJob> FinishAsync(IJobStore store, TransferJob job, DateTimeOffset at, JobStatus how)
    {
        var queued = await CreateQueuedAsync(store, job);
        if (how == JobStatus.Cancelled)
        {
            return (await store.ApplyAsync(JobStateMachine.Cancel(queued, at, "api"), default))!;
        }

        var running = (await store.ApplyAsync(JobStateMachine.Claim(queued, "w", "eu", at, Lease), default))!;
        if (how == JobStatus.Failed)
        {
            return (await store.ApplyAsync(JobStateMachine.Fail(running, at, "AUTHENTICATION_FAILED", "wrong password"), default))!;
        }

        var verifying = (await store.ApplyAsync(JobStateMachine.StartVerifying(running, at, 42, "ab"), default))!;
        return (await store.ApplyAsync(JobStateMachine.Succeed(verifying, at, 42, "ab"), default))!;
    }

    [Fact]
    public async Task Prune_RemovesJobsFinishedBeforeTheCutoff_WithTheirHistory_AndNothingElse()
    {
        var store = await OpenStoreAsync();
        var succeeded = await FinishAsync(store, NewJob(), T0, JobStatus.Succeeded);
        var failed = await FinishAsync(store, NewJob(), T0.AddHours(1), JobStatus.Failed);
        var cancelledLater = await FinishAsync(store, NewJob(), T0.AddDays(2), JobStatus.Cancelled);
        var stillQueued = await CreateQueuedAsync(store, NewJob()); // created at T0 too, never finished
        var running = (await store.ApplyAsync(JobStateMachine.Claim(await CreateQueuedAsync(store, NewJob()), "w", "eu", T0, Lease), default))!;

        var pruned = await (await OpenStoreAsync()).PruneFinishedAsync(T0.AddDays(1), 100, default);

        Assert.Equal(2, pruned);
        foreach (var gone in new[] { succeeded, failed })
        {
            Assert.Null(await store.GetAsync(gone.CustomerId, gone.JobId, default));
            Assert.Empty(await store.GetEventsAsync(gone.CustomerId, gone.JobId, default));
            Assert.DoesNotContain((await store.ListAsync(new JobQuery(gone.CustomerId), default)).Jobs, j => j.JobId == gone.JobId);
        }

        Assert.Equal(new PrunedJob(succeeded.CustomerId, succeeded.JobId, succeeded.IdempotencyKey, JobStatus.Succeeded, T0),
            await store.GetPrunedAsync(succeeded.CustomerId, succeeded.JobId, default));
        Assert.Equal((JobStatus.Failed, T0.AddHours(1)), (await store.GetPrunedAsync(failed.CustomerId, failed.JobId, default)) is { } f ? (f.Status, f.FinishedAt) : default);
        Assert.Null(await store.GetPrunedAsync("globex", succeeded.JobId, default));
        Assert.Null(await store.GetPrunedAsync(cancelledLater.CustomerId, cancelledLater.JobId, default));
        foreach (var kept in new[] { cancelledLater, stillQueued, running })
        {
            Assert.Equal(kept.Status, (await store.GetAsync(kept.CustomerId, kept.JobId, default))!.Status);
            Assert.NotEmpty(await store.GetEventsAsync(kept.CustomerId, kept.JobId, default));
        }

        var counts = (await store.CountByStatusAsync(default)).Where(c => c.Count > 0).Select(c => (c.Status, c.Count)).Order().ToList();
        Assert.Equal([(JobStatus.Queued, 1L), (JobStatus.Running, 1L), (JobStatus.Cancelled, 1L)], counts);
    }

    [Fact]
    public async Task CountActive_IsACustomersUnfinishedJobs_AsTheyAreCreatedFinishedAndPruned()
    {
        var store = await OpenStoreAsync();
        var received = NewJob("acme");
        await store.CreateAsync(received, JobStateMachine.Created(received, "api"), default);
        await store.CreateAsync(received with { JobId = "j-replay" }, JobStateMachine.Created(received, "api"), default); // same key: no new job
        var queued = await CreateQueuedAsync(store, NewJob("acme"));
        await store.ApplyAsync(JobStateMachine.Claim(await CreateQueuedAsync(store, NewJob("acme") with { FlowType = "s3-to-sftp" }), "w", "eu", T0, Lease), default);
        await FinishAsync(store, NewJob("acme"), T0, JobStatus.Succeeded);
        await FinishAsync(store, NewJob("acme"), T0, JobStatus.Failed);
        await CreateQueuedAsync(store, NewJob("globex"));
        var active = async (string customer) => await (await OpenStoreAsync()).CountActiveAsync(customer, default);

        Assert.Equal((3, 1, 0), (await active("acme"), await active("globex"), await active("initech")));

        await store.ApplyAsync(JobStateMachine.Cancel(queued, T0, "api"), default);
        await store.PruneFinishedAsync(T0.AddDays(1), 100, default); // finished jobs leave; the count stays
        Assert.Equal((2, 1), (await active("acme"), await active("globex")));
    }

    [Fact]
    public async Task Prune_KeepsTheIdempotencyKeyTaken_SoTheSameFileIsNotTransferredAgain()
    {
        var store = await OpenStoreAsync();
        var first = await FinishAsync(store, NewJob(key: "k-" + Guid.NewGuid()), T0, JobStatus.Succeeded);
        await store.PruneFinishedAsync(T0.AddDays(1), 100, default);
        var again = NewJob(key: first.IdempotencyKey, at: T0.AddDays(100));

        var creation = await (await OpenStoreAsync()).CreateAsync(again, JobStateMachine.Created(again, "schedule"), default);

        Assert.False(creation.Created);
        Assert.True(creation.Pruned);
        Assert.Equal((first.JobId, JobStatus.Succeeded, T0), (creation.Job.JobId, creation.Job.Status, creation.Job.UpdatedAt));
        Assert.Null(await store.GetAsync(again.CustomerId, again.JobId, default));
        Assert.Contains(first.IdempotencyKey, await store.FindExistingKeysAsync(first.CustomerId, [first.IdempotencyKey, "k-never-used"], default));
        Assert.DoesNotContain("k-never-used", await store.FindExistingKeysAsync(first.CustomerId, [first.IdempotencyKey, "k-never-used"], default));
        var elsewhere = NewJob("globex", first.IdempotencyKey);
        Assert.True((await store.CreateAsync(elsewhere, JobStateMachine.Created(elsewhere, "api"), default)).Created);
    }

    [Fact]
    public async Task Prune_TakesTheOldestFirst_NoMoreThanTheLimitAtATime()
    {
        var store = await OpenStoreAsync();
        var jobs = new List<TransferJob>();
        foreach (var hours in new[] { 3, 1, 2 })
        {
            jobs.Add(await FinishAsync(store, NewJob(), T0.AddHours(hours), JobStatus.Succeeded));
        }

        Assert.Equal(2, await store.PruneFinishedAsync(T0.AddDays(1), 2, default));
        Assert.Equal(jobs[0].JobId, Assert.Single((await store.ListAsync(new JobQuery("acme"), default)).Jobs).JobId); // the one finished last
        Assert.Equal(1, await store.PruneFinishedAsync(T0.AddDays(1), 2, default));
        Assert.Equal(0, await store.PruneFinishedAsync(T0.AddDays(1), 2, default));
    }

    [Fact]
    public async Task ForgetPruned_DropsTheRecordsOfJobsFinishedBeforeTheCutoff_OldestFirst_FreeingTheirKeys()
    {
        var store = await OpenStoreAsync();
        var oldest = await FinishAsync(store, NewJob(key: "k-" + Guid.NewGuid()), T0, JobStatus.Succeeded);
        var old = await FinishAsync(store, NewJob(key: "k-" + Guid.NewGuid()), T0.AddHours(1), JobStatus.Failed);
        var newer = await FinishAsync(store, NewJob(key: "k-" + Guid.NewGuid()), T0.AddDays(10), JobStatus.Succeeded);
        Assert.Equal(3, await store.PruneFinishedAsync(T0.AddDays(20), 100, default));

        Assert.Equal(1, await (await OpenStoreAsync()).ForgetPrunedAsync(T0.AddDays(5), 1, default));
        Assert.Null(await store.GetPrunedAsync(oldest.CustomerId, oldest.JobId, default)); // the oldest went first
        Assert.NotNull(await store.GetPrunedAsync(old.CustomerId, old.JobId, default));
        Assert.Equal(1, await store.ForgetPrunedAsync(T0.AddDays(5), 10, default));
        Assert.Equal(0, await store.ForgetPrunedAsync(T0.AddDays(5), 10, default));

        Assert.Null(await store.GetPrunedAsync(old.CustomerId, old.JobId, default));
        Assert.NotNull(await store.GetPrunedAsync(newer.CustomerId, newer.JobId, default));
        var keys = await store.FindExistingKeysAsync("acme", [oldest.IdempotencyKey, newer.IdempotencyKey], default);
        Assert.Equal([newer.IdempotencyKey], keys);
        var again = NewJob(key: oldest.IdempotencyKey, at: T0.AddDays(400));
        var creation = await store.CreateAsync(again, JobStateMachine.Created(again, "schedule"), default);
        Assert.True(creation.Created); // the file is transferred again, as the operator chose
        Assert.False(creation.Pruned);
    }
}
