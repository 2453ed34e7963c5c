namespace Ferry.Core.Jobs;

/// <summary>
/// A transfer job's lifecycle: RECEIVED → QUEUED → RUNNING → VERIFYING → SUCCEEDED | FAILED, and
/// CANCELLED from RECEIVED or QUEUED. Only <see cref="JobStateMachine"/> moves a job between them.
/// </summary>
public enum JobStatus
{
    Received,
    Queued,
    Running,
    Verifying,
    Succeeded,
    Failed,
    Cancelled,
}
