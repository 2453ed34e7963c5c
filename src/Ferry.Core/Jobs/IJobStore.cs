namespace Ferry.Core.Jobs;

/// <summary>
/// The system of record for jobs, implemented on SQLite, PostgreSQL and DynamoDB. Every write is
/// conditional (a unique idempotency key on create; expected version, status and lease on every
/// change), nothing needs a join, and no write touches more than a handful of items (the job, its
/// history entries for the step, and for a claim its concurrency slots: one SQL transaction, one
/// DynamoDB TransactWriteItems), so the same engine runs on all three.
/// </summary>
public interface IJobStore
{
    /// <summary>
    /// Inserts the job and its creation event unless the customer already has a job with the same
    /// idempotency key (or the job id exists); then returns that job with Created = false. A key
    /// whose job was pruned stays taken: the answer is then the submitted job under the pruned
    /// job's id, status and finish time, with <see cref="JobCreation.Pruned"/> set.
    /// </summary>
    Task<JobCreation> CreateAsync(TransferJob job, JobEvent created, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="CreateAsync"/> for many jobs, each with its history entries. Each job is created
    /// (or found) on its own - the batch is not one transaction - so stores that cannot write many
    /// items atomically (DynamoDB) implement it with one conditional write per job; SQL stores may
    /// use one transaction as an optimisation.
    /// </summary>
    Task<IReadOnlyList<JobCreation>> CreateBatchAsync(IReadOnlyList<JobSubmission> jobs, CancellationToken cancellationToken);

    /// <summary>Which of <paramref name="idempotencyKeys"/> the customer already has a job for (pruned jobs included).</summary>
    Task<IReadOnlySet<string>> FindExistingKeysAsync(string customerId, IReadOnlyCollection<string> idempotencyKeys, CancellationToken cancellationToken);

    /// <summary>The job, or null when it does not exist or belongs to another customer.</summary>
    Task<TransferJob?> GetAsync(string customerId, string jobId, CancellationToken cancellationToken);

    /// <summary>One page of a customer's jobs, newest first; the cursor is stable under concurrent inserts.</summary>
    Task<JobPage> ListAsync(JobQuery query, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> jobs any worker could claim at <paramref name="now"/>, oldest due first.</summary>
    Task<IReadOnlyList<TransferJob>> FindRunnableAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Applies the transition and appends its event atomically, if its conditions hold; returns
    /// the stored job, or null when another writer got there first (or the lease was lost).
    /// </summary>
    Task<TransferJob?> ApplyAsync(JobTransition transition, CancellationToken cancellationToken);

    /// <summary>
    /// Applies <paramref name="claim"/> (<see cref="JobStateMachine.Claim"/>) and takes one slot of
    /// each of <paramref name="slots"/> for the job (the slots of <see cref="Endpoints.IConcurrencySlots"/>,
    /// in the same store, held until <paramref name="slotsExpireAt"/>), all in one write: the job is
    /// claimed with every slot taken, or nothing changes and the answer is null (another writer got
    /// the job first, or a resource has no free slot). Slots are never held for a job that was not
    /// claimed, nor a job claimed without its slots.
    /// </summary>
    Task<ClaimedJob?> ClaimAsync(JobTransition claim, IReadOnlyList<SlotRequest> slots, DateTimeOffset slotsExpireAt, CancellationToken cancellationToken);

    /// <summary>
    /// The customer's jobs not yet in a terminal state (the backlog that backpressure limits). Asked
    /// on every transfer request, so it must stay cheap however long the queue (kept as jobs change,
    /// like <see cref="CountByStatusAsync"/>, not counted by a scan).
    /// </summary>
    Task<int> CountActiveAsync(string customerId, CancellationToken cancellationToken);

    /// <summary>
    /// Jobs by status and flow across all customers, for metrics. Must stay cheap however many
    /// jobs the store holds (kept as jobs change, not counted by a scan); a status and flow that
    /// had jobs may be reported with 0.
    /// </summary>
    Task<IReadOnlyList<JobCount>> CountByStatusAsync(CancellationToken cancellationToken);

    /// <summary>One batch's jobs by status and flow (empty when the customer has no such batch).</summary>
    Task<IReadOnlyList<JobCount>> CountBatchAsync(string customerId, string batchId, CancellationToken cancellationToken);

    /// <summary>A job's history in order; empty for another customer's job.</summary>
    Task<IReadOnlyList<JobEvent>> GetEventsAsync(string customerId, string jobId, CancellationToken cancellationToken);

    /// <summary>
    /// Removes up to <paramref name="limit"/> jobs that reached a terminal state before
    /// <paramref name="finishedBefore"/>, oldest first, with their history, keeping a
    /// <see cref="PrunedJob"/> of each (so its idempotency key stays taken). Each job goes on its own
    /// (a store without multi-item transactions writes the pruned record first, then deletes);
    /// returns how many went. Jobs not yet finished are never touched, however old.
    /// </summary>
    Task<int> PruneFinishedAsync(DateTimeOffset finishedBefore, int limit, CancellationToken cancellationToken);

    /// <summary>The record of a pruned job of the customer's, or null (never existed, another customer's, or not pruned).</summary>
    Task<PrunedJob?> GetPrunedAsync(string customerId, string jobId, CancellationToken cancellationToken);

    /// <summary>
    /// Removes up to <paramref name="limit"/> records of pruned jobs that finished before
    /// <paramref name="finishedBefore"/>, oldest first; returns how many went. Their idempotency
    /// keys are free again: a file still at its source, unchanged, is transferred again when next asked for.
    /// </summary>
    Task<int> ForgetPrunedAsync(DateTimeOffset finishedBefore, int limit, CancellationToken cancellationToken);
}

/// <param name="Pruned">The key belonged to a job the retention has removed: <paramref name="Job"/> is the submitted job under that job's id, status and finish time.</param>
public sealed record JobCreation(TransferJob Job, bool Created, bool Pruned = false);

/// <summary>A new job as <see cref="JobStateMachine.Submit"/> planned it, with its first history entries.</summary>
public sealed record JobSubmission(TransferJob Job, IReadOnlyList<JobEvent> Events);

/// <summary>Filters for <see cref="IJobStore.ListAsync"/>; always scoped to one customer.</summary>
public sealed record JobQuery(
    string CustomerId,
    JobStatus? Status = null,
    string? BatchId = null,
    string? EndpointId = null,
    DateTimeOffset? CreatedFrom = null,
    DateTimeOffset? CreatedBefore = null,
    string? Cursor = null,
    int Limit = 100);

public sealed record JobCount(JobStatus Status, string FlowType, long Count);

public sealed record JobPage(IReadOnlyList<TransferJob> Jobs, string? NextCursor);
