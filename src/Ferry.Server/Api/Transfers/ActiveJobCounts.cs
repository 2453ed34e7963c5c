using System.Collections.Concurrent;
using Ferry.Core.Jobs;

namespace Ferry.Server.Api.Transfers;

/// <summary>
/// How many of a customer's jobs are unfinished, for backpressure. The store keeps the count (it
/// does not count the queue), but asking it is still a read on every request; so a count is reused
/// for up to <see cref="MaxAge"/>, plus the jobs this process created since. The limit is therefore
/// soft by what other processes created within that time, and jobs that finished within it still
/// count (the answer errs towards 429).
/// </summary>
internal sealed class ActiveJobCounts(IJobStore jobs, TimeProvider time)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, Count> _counts = new();

    private sealed class Count(long countedAt, int active)
    {
        private int _createdSince;

        public long CountedAt { get; } = countedAt;

        public int Active => active + Volatile.Read(ref _createdSince);

        public void Add(int created) => Interlocked.Add(ref _createdSince, created);
    }

    public async Task<int> GetAsync(string customerId, CancellationToken cancellationToken)
    {
        if (_counts.TryGetValue(customerId, out var cached) && time.GetElapsedTime(cached.CountedAt) < MaxAge)
        {
            return cached.Active;
        }

        var countedAt = time.GetTimestamp();
        var fresh = new Count(countedAt, await jobs.CountActiveAsync(customerId, cancellationToken).ConfigureAwait(false));
        _counts[customerId] = fresh;
        return fresh.Active;
    }

    /// <summary>Jobs this process just created for the customer.</summary>
    public void Created(string customerId, int created)
    {
        if (_counts.TryGetValue(customerId, out var cached))
        {
            cached.Add(created);
        }
    }
}
