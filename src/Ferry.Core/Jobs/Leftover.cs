using Ferry.Core.Connectors;

namespace Ferry.Core.Jobs;

/// <summary>
/// What a failed job may have left at its target and could not remove when it failed (the target
/// was unreachable, which is often why the job failed): a part file on a partner's SFTP server, a
/// multipart upload kept for a resume. Recorded so a sweeper removes it once the target answers
/// again, instead of a "report.csv.&lt;job id&gt;.part" staying in a partner's folder for good.
/// </summary>
public sealed record Leftover
{
    public required string LeftoverId { get; init; }
    public required string CustomerId { get; init; }
    public required string JobId { get; init; }

    /// <summary>The job's target endpoint, where the leftover is.</summary>
    public required string EndpointId { get; init; }

    /// <summary>A part file to delete (targets that deliver by rename), if the job used one.</summary>
    public string? PartPath { get; init; }

    /// <summary>A kept partial write to discard (<see cref="IResumableWrites.DiscardAsync"/>), if the job's attempts kept one.</summary>
    public WriteCheckpoint? Write { get; init; }

    /// <summary>Removal attempts made so far.</summary>
    public int Attempts { get; init; }

    /// <summary>When the next removal attempt is due; a sweeper claims an attempt by moving this forward.</summary>
    public required DateTimeOffset NextAttemptAt { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Why the last removal failed.</summary>
    public string? LastError { get; init; }
}

/// <summary>
/// Leftovers waiting to be removed. Every change is conditional on the due time it was read with,
/// so of several processes sweeping, one makes each attempt.
/// </summary>
public interface ILeftoverStore
{
    /// <summary>Records a leftover; one per job (a second add for the same job is ignored).</summary>
    Task AddAsync(Leftover leftover, CancellationToken cancellationToken);

    /// <summary>Leftovers due at <paramref name="now"/>, oldest due first.</summary>
    Task<IReadOnlyList<Leftover>> FindDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="after"/> if the leftover is still due at <paramref name="expectedNextAttemptAt"/>.</summary>
    Task<bool> UpdateAsync(Leftover after, DateTimeOffset expectedNextAttemptAt, CancellationToken cancellationToken);

    /// <summary>Forgets the leftover (removed, or given up on) if it is still due at <paramref name="expectedNextAttemptAt"/>.</summary>
    Task<bool> DeleteAsync(string leftoverId, DateTimeOffset expectedNextAttemptAt, CancellationToken cancellationToken);

    /// <summary>The leftover recorded for a job, if any.</summary>
    Task<Leftover?> GetForJobAsync(string customerId, string jobId, CancellationToken cancellationToken);
}
