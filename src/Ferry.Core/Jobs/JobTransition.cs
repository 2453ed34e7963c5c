namespace Ferry.Core.Jobs;

/// <summary>
/// A planned write, produced only by <see cref="JobStateMachine"/>. The store applies it if and
/// only if the stored job still has <see cref="ExpectedVersion"/> and <see cref="ExpectedStatus"/>,
/// is not terminal, and - when <see cref="RequiredLeaseToken"/> is set - still carries that lease
/// token with an expiry after <see cref="LeaseValidAt"/>. Every store can check that in one
/// conditional write (SQL WHERE clause, DynamoDB ConditionExpression). <see cref="Event"/> is the
/// history entry to append with it; lease renewals have none (they change no state, and a long
/// transfer would otherwise bury its history under heartbeats).
/// </summary>
public sealed record JobTransition(
    TransferJob After,
    long ExpectedVersion,
    JobStatus ExpectedStatus,
    long? RequiredLeaseToken,
    DateTimeOffset? LeaseValidAt,
    JobEvent? Event);
