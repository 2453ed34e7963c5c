namespace Ferry.Core.Endpoints;

/// <summary>
/// Per-endpoint concurrency limits that hold across processes: an endpoint with max_concurrency N
/// has N slots in the store, each taken by one job with an expiry, like a lease, in the same write
/// as the job's claim (<see cref="Jobs.IJobStore.ClaimAsync"/>). A slot whose holder stopped
/// renewing frees itself. Each slot is one item with a conditional write, so
/// every store (SQL row, DynamoDB item) can implement it the same way.
/// </summary>
public interface IConcurrencySlots
{
    /// <summary>Extends a held slot; false when the holder lost it.</summary>
    Task<bool> RenewAsync(string resource, int slot, string holder, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>Frees the slot if <paramref name="holder"/> still has it.</summary>
    Task ReleaseAsync(string resource, int slot, string holder, CancellationToken cancellationToken);

    /// <summary>Slots of <paramref name="resource"/> held and unexpired at <paramref name="now"/>.</summary>
    Task<int> CountHeldAsync(string resource, DateTimeOffset now, CancellationToken cancellationToken);
}
