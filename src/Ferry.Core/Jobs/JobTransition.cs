namespace Ferry.Core.Jobs;

/// <summary>
/// A planned write, produced only by <see cref="JobStateMachine"/>. The store applies it if and
/// only if the stored job still has <see cref="ExpectedVersion"/> and <see cref="ExpectedStatus"/>,
/// is not terminal, and - when <see cref="RequiredLeaseToken"/> is set - still carries that lease
/// token with an expiry after <see cref="LeaseValidAt"/>. Every store can check that in one
/// conditional write (SQL WHERE clause, DynamoDB ConditionExpression). <see cref="Events"/> are the
/// history entries to append with it, one per step, each with its own version (the last one is
/// <see cref="After"/>'s): usually one; two for steps taken together
/// (<see cref="JobStateMachine.SucceedOnDelivery"/>); none for lease renewals (they change no
/// state, and a long transfer would otherwise bury its history under heartbeats).
/// </summary>
public sealed record JobTransition(
    TransferJob After,
    long ExpectedVersion,
    JobStatus ExpectedStatus,
    long? RequiredLeaseToken,
    DateTimeOffset? LeaseValidAt,
    IReadOnlyList<JobEvent> Events);
