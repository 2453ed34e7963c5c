namespace Ferry.Core.Jobs;

/// <summary>
/// What a store keeps of a finished job once the retention has removed it with its history
/// (<see cref="IJobStore.PruneFinishedAsync"/>): enough to keep its idempotency key taken, so a file
/// that stays at its source is still not transferred again, and to tell a caller asking for the
/// job that it existed, how it ended and when.
/// </summary>
public sealed record PrunedJob(string CustomerId, string JobId, string IdempotencyKey, JobStatus Status, DateTimeOffset FinishedAt);
