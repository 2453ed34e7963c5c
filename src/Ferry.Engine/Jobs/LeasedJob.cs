using Ferry.Core.Jobs;

namespace Ferry.Engine.Jobs;

/// <summary>
/// A job this worker holds the lease on. Every write goes through here, one at a time (the
/// heartbeat and the transfer both write), each conditional on the version and lease token last
/// seen; a write the store refuses means the lease is gone and throws <see cref="LeaseLostException"/>.
/// </summary>
internal sealed class LeasedJob(IJobStore store, TransferJob claimed, TimeProvider time, TimeSpan lease) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public TransferJob Current { get; private set; } = claimed;

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

    /// <summary>Extends the lease; also the check that it is still held before a delivery is committed.</summary>
    public Task RenewAsync(CancellationToken cancellationToken) =>
        ApplyAsync((j, now) => JobStateMachine.Renew(j, now, lease), cancellationToken);

    public void Dispose() => _gate.Dispose();
}

/// <summary>The store refused a write: another worker took the job over, or it was changed meanwhile.</summary>
public sealed class LeaseLostException(TransferJob job)
    : Exception($"Job {job.JobId}: the lease (token {job.LeaseToken}) is no longer held by {job.LeaseOwner}; this worker stops without delivering.");
