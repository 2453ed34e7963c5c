using Ferry.Core.Jobs;

namespace Ferry.Engine.Jobs;

/// <summary>
/// A job this worker holds the lease on. Every write goes through here, one at a time (the
/// heartbeat and the transfer both write), each conditional on the version and lease token last
/// seen; a write the store refuses means the lease is gone and throws <see cref="LeaseLostException"/>.
/// Also holds the transfer's latest checkpoint, which goes into the job with the next lease
/// renewal (or the retry), so saving progress costs no writes of its own.
/// </summary>
internal sealed class LeasedJob(IJobStore store, TransferJob claimed, TimeProvider time, TimeSpan lease) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private TransferCheckpoint? _checkpoint;
    private volatile bool _forgotten;

    public TransferJob Current { get; private set; } = claimed;

    /// <summary>The latest checkpoint the transfer reported in this attempt, saved or not yet.</summary>
    public TransferCheckpoint? LatestCheckpoint => Volatile.Read(ref _checkpoint);

    /// <summary>Remembers where the transfer could continue (any thread); written with the next renewal.</summary>
    public void Checkpoint(TransferCheckpoint checkpoint) => Volatile.Write(ref _checkpoint, checkpoint);

    /// <summary>The partial write must not be continued (its bytes are in doubt): from now on the job keeps no transfer checkpoint.</summary>
    public void ForgetCheckpoint() => _forgotten = true;

    /// <summary>The job's checkpoint field as it should be written now: the latest transfer checkpoint while RUNNING.</summary>
    public string? CheckpointToSave(TransferJob job) => job.Status switch
    {
        JobStatus.Running when _forgotten => null,
        JobStatus.Running when LatestCheckpoint is { } latest => latest.Serialize(),
        _ => job.Checkpoint,
    };

    public async Task<TransferJob> ApplyAsync(Func<TransferJob, DateTimeOffset, JobTransition> plan, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var applied = await store.ApplyAsync(plan(Current, time.GetUtcNow()), cancellationToken).ConfigureAwait(false)
                ?? throw new LeaseLostException(Current);
            Current = applied;
            return applied;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Extends the lease (the heartbeat); throws <see cref="LeaseLostException"/> if it is no longer held.</summary>
    public Task RenewAsync(CancellationToken cancellationToken) =>
        ApplyAsync((j, now) => JobStateMachine.Renew(j, now, lease, CheckpointToSave(j)), cancellationToken);

    /// <summary>
    /// The check right before a delivery is committed. A lease taken or renewed within the last
    /// third of its length is still held without asking the store: nobody can claim the job before
    /// it expires (on the clocks every worker already has to agree on), and every write of it is
    /// conditional on this lease. An older one is renewed, which fails if it was lost. For a small
    /// file, claimed a moment ago, that spares one store write of the few a job makes.
    /// </summary>
    public Task EnsureHeldAsync(CancellationToken cancellationToken) =>
        Current.LeaseExpiresAt is { } expires && expires - time.GetUtcNow() > lease * 2 / 3
            ? Task.CompletedTask
            : RenewAsync(cancellationToken);

    public void Dispose() => _gate.Dispose();
}

/// <summary>The store refused a write: another worker took the job over, or it was changed meanwhile.</summary>
public sealed class LeaseLostException(TransferJob job)
    : Exception($"Job {job.JobId}: the lease (token {job.LeaseToken}) is no longer held by {job.LeaseOwner}; this worker stops without delivering.");
