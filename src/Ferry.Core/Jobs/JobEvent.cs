namespace Ferry.Core.Jobs;

/// <summary>One entry of a job's history: a state change (or a lease event) with who and why.</summary>
/// <param name="Version">The job's version after the change; orders a job's events.</param>
public sealed record JobEvent(
    string JobId,
    long Version,
    JobStatus From,
    JobStatus To,
    DateTimeOffset At,
    string Actor,
    string Kind,
    string? Detail = null);
