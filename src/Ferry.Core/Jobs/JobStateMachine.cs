namespace Ferry.Core.Jobs;

/// <summary>
/// The only code that decides a job's next state. Each method checks that the move is allowed
/// (forward only; terminal states never change), and returns a <see cref="JobTransition"/> whose
/// conditions make the store apply it only to the job as it was read - so two workers racing
/// for a job, or a worker that lost its lease, cannot both win.
/// </summary>
public static class JobStateMachine
{
    private static readonly Dictionary<JobStatus, JobStatus[]> Allowed = new()
    {
        [JobStatus.Received] = [JobStatus.Queued, JobStatus.Cancelled],
        [JobStatus.Queued] = [JobStatus.Running, JobStatus.Cancelled],
        // RUNNING → RUNNING: a retry waiting for its backoff, a released or taken-over lease.
        [JobStatus.Running] = [JobStatus.Running, JobStatus.Verifying, JobStatus.Failed],
        [JobStatus.Verifying] = [JobStatus.Verifying, JobStatus.Succeeded, JobStatus.Failed],
    };

    public static bool IsTerminal(JobStatus status) => status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled;

    public static bool CanMove(JobStatus from, JobStatus to) => Allowed.TryGetValue(from, out var next) && next.Contains(to);

    /// <summary>The history entry for a job just received.</summary>
    public static JobEvent Created(TransferJob job, string actor) =>
        new(job.JobId, job.Version, JobStatus.Received, JobStatus.Received, job.CreatedAt, actor, "created");

    /// <summary>
    /// A job received and queued in one write: the stored job is QUEUED and its history holds both
    /// steps (RECEIVED, then RECEIVED → QUEUED), so an API request costs one insert per job.
    /// </summary>
    public static JobSubmission Submit(TransferJob received, string actor)
    {
        if (received.Status != JobStatus.Received || received.Version != 0)
        {
            throw new JobTransitionException(received, JobStatus.Queued, "only a new job can be submitted");
        }

        var queue = Enqueue(received, received.CreatedAt, actor);
        return new JobSubmission(queue.After, [Created(received, actor), .. queue.Events]);
    }

    /// <summary>RECEIVED → QUEUED: runnable from <paramref name="now"/>.</summary>
    public static JobTransition Enqueue(TransferJob job, DateTimeOffset now, string actor) =>
        Plan(job, JobStatus.Queued, now, actor, "queued", j => j with { NextAttemptAt = now });

    /// <summary>RECEIVED or QUEUED → CANCELLED. A running job cannot be cancelled.</summary>
    public static JobTransition Cancel(TransferJob job, DateTimeOffset now, string actor, string? reason = null) =>
        Plan(job, JobStatus.Cancelled, now, actor, "cancelled", j => j with { NextAttemptAt = null }, detail: reason);

    /// <summary>True when a worker may claim the job at <paramref name="now"/>.</summary>
    public static bool IsClaimable(TransferJob job, DateTimeOffset now) => job.Status switch
    {
        JobStatus.Queued => job.NextAttemptAt is null || job.NextAttemptAt <= now,
        // A retry waiting out its backoff (no lease), or a worker that stopped renewing.
        JobStatus.Running or JobStatus.Verifying => job.LeaseOwner is null
            ? job.NextAttemptAt is null || job.NextAttemptAt <= now
            : job.LeaseExpiresAt <= now,
        _ => false,
    };

    /// <summary>
    /// Takes the job's lease for <paramref name="owner"/>: QUEUED → RUNNING with a new attempt, or
    /// a RUNNING/VERIFYING job whose lease expired taken over (same state, new fencing token).
    /// </summary>
    public static JobTransition Claim(TransferJob job, string owner, string region, DateTimeOffset now, TimeSpan lease)
    {
        if (!IsClaimable(job, now))
        {
            throw new JobTransitionException(job, job.Status, $"the job is not claimable now (lease held by {job.LeaseOwner ?? "nobody"} until {job.LeaseExpiresAt:O})");
        }

        var takeover = job.LeaseOwner is not null;
        var to = job.Status == JobStatus.Queued ? JobStatus.Running : job.Status;
        return Plan(job, to, now, owner, takeover ? "lease-taken-over" : "claimed", j => j with
        {
            LeaseOwner = owner,
            LeaseToken = job.LeaseToken + 1,
            LeaseExpiresAt = now + lease,
            ExecutionRegion = region,
            NextAttemptAt = null,
            Attempts = takeover ? job.Attempts : job.Attempts + 1,
        }, detail: takeover ? $"region {region}; previous owner {job.LeaseOwner}" : $"region {region}");
    }

    /// <summary>
    /// Extends the lease; applied only while the caller still holds it unexpired. Also saves the
    /// transfer's progress (<paramref name="checkpoint"/>, written as given) so the next attempt can resume from it.
    /// </summary>
    public static JobTransition Renew(TransferJob job, DateTimeOffset now, TimeSpan lease, string? checkpoint) =>
        PlanHeld(job, job.Status, now, "lease-renewed", j => j with { LeaseExpiresAt = now + lease, Checkpoint = checkpoint }) with { Events = [] };

    /// <summary>An attempt continues an interrupted transfer instead of starting over; recorded in the history.</summary>
    public static JobTransition Resumed(TransferJob job, DateTimeOffset now, long keptBytes, long totalBytes) =>
        PlanHeld(job, job.Status, now, "resumed", j => j, $"{keptBytes} of {totalBytes} bytes were already at the target; continuing from there");

    /// <summary>
    /// Something about how an attempt went that a person may need to know (a delivery that fell back
    /// from posix-rename, a staged copy delivered instead of reading the source again); recorded in the history.
    /// </summary>
    public static JobTransition Noted(TransferJob job, DateTimeOffset now, string note) =>
        PlanHeld(job, job.Status, now, "note", j => j, note);

    /// <summary>The byte a "resumed" history entry continued from; null for any other entry.</summary>
    public static long? ResumedFrom(JobEvent e) =>
        e.Kind == "resumed" && long.TryParse(e.Detail?.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture, out var kept) ? kept : null;

    /// <summary>RUNNING → VERIFYING once the bytes are delivered (the transfer's checkpoint has served its purpose).</summary>
    public static JobTransition StartVerifying(TransferJob job, DateTimeOffset now, long bytes, string? sha256) =>
        PlanHeld(job, JobStatus.Verifying, now, "verifying", j => j with { Bytes = bytes, Sha256 = sha256, Checkpoint = job.Status == JobStatus.Running ? null : j.Checkpoint });

    /// <summary>
    /// VERIFYING, checks passed, with a post-action still to do: records the source version that
    /// was sent (the checkpoint), so the next attempt goes straight to the post-action.
    /// </summary>
    public static JobTransition Verified(TransferJob job, DateTimeOffset now, SourceVersion sent) =>
        PlanHeld(job, JobStatus.Verifying, now, "verified", j => j with { Checkpoint = sent.ToCheckpoint() });

    /// <summary>VERIFYING → SUCCEEDED; the lease is released. <paramref name="detail"/>: what was done to the source, if anything.</summary>
    public static JobTransition Succeed(TransferJob job, DateTimeOffset now, long bytes, string? sha256, string? detail = null) =>
        PlanHeld(job, JobStatus.Succeeded, now, "succeeded", j => Unleased(j) with { Bytes = bytes, Sha256 = sha256, ErrorCode = null, ErrorMessage = null },
            detail);

    /// <summary>
    /// RUNNING → VERIFYING → SUCCEEDED in one write, both steps in the history at the same time:
    /// for a delivery the target confirmed as it took it (nothing left to ask it) and with no
    /// post-action, where recording VERIFYING on its own would only have cost a commit.
    /// </summary>
    public static JobTransition SucceedOnDelivery(TransferJob job, DateTimeOffset now, long bytes, string? sha256, string? detail = null)
    {
        if (job.Status != JobStatus.Running)
        {
            throw new JobTransitionException(job, JobStatus.Succeeded, "both steps at once start from RUNNING");
        }

        var verifying = StartVerifying(job, now, bytes, sha256);
        var succeeded = Succeed(verifying.After, now, bytes, sha256, detail);
        return succeeded with { ExpectedVersion = verifying.ExpectedVersion, ExpectedStatus = verifying.ExpectedStatus, Events = [.. verifying.Events, .. succeeded.Events] };
    }

    /// <summary>RUNNING or VERIFYING → FAILED with an error a person can act on.</summary>
    public static JobTransition Fail(TransferJob job, DateTimeOffset now, string errorCode, string errorMessage) =>
        PlanHeld(job, JobStatus.Failed, now, "failed", j => Unleased(j) with { ErrorCode = errorCode, ErrorMessage = errorMessage }, detail: $"{errorCode}: {errorMessage}");

    /// <summary>
    /// A transient failure: the lease is released and the job is runnable again at
    /// <paramref name="nextAttemptAt"/>. It stays VERIFYING if it got that far (the file was
    /// delivered once: the next attempt finds it identical at the target, or finishes the
    /// post-action), RUNNING otherwise.
    /// </summary>
    /// <param name="checkpoint">The job's checkpoint from now on (written as given): where the next attempt can continue.</param>
    public static JobTransition ScheduleRetry(
        TransferJob job, DateTimeOffset now, DateTimeOffset nextAttemptAt, string errorCode, string errorMessage, string? checkpoint) =>
        PlanHeld(job, job.Status == JobStatus.Verifying ? JobStatus.Verifying : JobStatus.Running, now, "retry-scheduled", j => Unleased(j) with
        {
            NextAttemptAt = nextAttemptAt,
            ErrorCode = errorCode,
            ErrorMessage = errorMessage,
            Checkpoint = checkpoint,
        }, detail: $"{errorCode}: {errorMessage}");

    /// <summary>Graceful shutdown: gives the lease back so another worker can pick the job up at once.</summary>
    /// <param name="checkpoint">The job's checkpoint from now on (written as given): where the next worker can continue.</param>
    public static JobTransition Release(TransferJob job, DateTimeOffset now, string? checkpoint) =>
        PlanHeld(job, job.Status, now, "lease-released", j => Unleased(j) with { NextAttemptAt = now, Checkpoint = checkpoint });

    private static TransferJob Unleased(TransferJob j) => j with { LeaseOwner = null, LeaseExpiresAt = null };

    private static JobTransition PlanHeld(TransferJob job, JobStatus to, DateTimeOffset now, string kind, Func<TransferJob, TransferJob> change, string? detail = null)
    {
        if (job.LeaseOwner is null)
        {
            throw new JobTransitionException(job, to, "the caller does not hold the job's lease");
        }

        var t = Plan(job, to, now, job.LeaseOwner, kind, change, detail);
        return t with { RequiredLeaseToken = job.LeaseToken, LeaseValidAt = now };
    }

    private static JobTransition Plan(TransferJob job, JobStatus to, DateTimeOffset now, string actor, string kind, Func<TransferJob, TransferJob> change, string? detail = null)
    {
        if (!CanMove(job.Status, to))
        {
            throw new JobTransitionException(job, to, IsTerminal(job.Status) ? "terminal states never change" : "that move is not allowed");
        }

        var after = change(job) with { Status = to, UpdatedAt = now, Version = job.Version + 1 };
        return new JobTransition(after, job.Version, job.Status, RequiredLeaseToken: null, LeaseValidAt: null,
            [new JobEvent(job.JobId, after.Version, job.Status, to, now, actor, kind, detail)]);
    }
}

/// <summary>A transition the lifecycle does not allow was asked for.</summary>
public sealed class JobTransitionException(TransferJob job, JobStatus to, string reason)
    : InvalidOperationException($"Job {job.JobId} cannot go from {job.Status} to {to}: {reason}.")
{
    public JobStatus From { get; } = job.Status;

    public JobStatus To { get; } = to;
}
