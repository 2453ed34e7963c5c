namespace Ferry.Core.Schedules;

/// <summary>
/// Schedules, their runs and the decisions each run made. Settings changes are conditional on the
/// version (the API's ETag); the scheduler's claim on a tick is conditional on the due time it
/// read, so two processes seeing the same due schedule run it once.
/// </summary>
public interface IScheduleStore
{
    /// <summary>Inserts the schedule with its first due time; false when the id or the customer's name is taken.</summary>
    Task<bool> CreateAsync(Schedule schedule, DateTimeOffset? nextRunAt, CancellationToken cancellationToken);

    /// <summary>The schedule and its state, or null when it does not exist or belongs to another customer.</summary>
    Task<(Schedule Schedule, ScheduleState State)?> GetAsync(string customerId, string scheduleId, CancellationToken cancellationToken);

    /// <summary>A customer's schedules, keyset-paged by id.</summary>
    Task<SchedulePage> ListAsync(string customerId, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Stores <paramref name="after"/> and its new due time if the stored version is still
    /// <paramref name="expectedVersion"/>; false otherwise (or when the new name is taken).
    /// </summary>
    Task<bool> UpdateAsync(Schedule after, long expectedVersion, DateTimeOffset? nextRunAt, CancellationToken cancellationToken);

    /// <summary>Deletes the schedule with its runs and decisions if its version is still <paramref name="expectedVersion"/> (any when null).</summary>
    Task<bool> DeleteAsync(string customerId, string scheduleId, long? expectedVersion, CancellationToken cancellationToken);

    /// <summary>ACTIVE schedules due at <paramref name="now"/>, earliest first.</summary>
    Task<IReadOnlyList<(Schedule Schedule, ScheduleState State)>> FindDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Claims the tick due at <paramref name="dueAt"/>: moves the due time to <paramref name="nextRunAt"/>
    /// and records <paramref name="now"/> as the last run, if the schedule is still ACTIVE and still
    /// due at <paramref name="dueAt"/>. False when another process claimed it first.
    /// </summary>
    Task<bool> ClaimTickAsync(string customerId, string scheduleId, DateTimeOffset dueAt, DateTimeOffset? nextRunAt, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Records a finished run and its decisions, keeping the schedule's newest <paramref name="keepRuns"/> runs.</summary>
    Task AppendRunAsync(ScheduleRun run, IReadOnlyList<FileDecision> decisions, int keepRuns, CancellationToken cancellationToken);

    /// <summary>The schedule's runs, newest first.</summary>
    Task<IReadOnlyList<ScheduleRun>> ListRunsAsync(string customerId, string scheduleId, int limit, CancellationToken cancellationToken);

    /// <summary>Decisions, newest first, optionally for one path (relative to the schedule's source path).</summary>
    Task<IReadOnlyList<FileDecision>> ListDecisionsAsync(string customerId, string scheduleId, string? path, int limit, CancellationToken cancellationToken);
}

public sealed record SchedulePage(IReadOnlyList<(Schedule Schedule, ScheduleState State)> Schedules, string? NextCursor);

/// <summary>What started a run.</summary>
public enum RunCause
{
    /// <summary>The trigger was due.</summary>
    Tick,

    /// <summary>POST .../run.</summary>
    Manual,
}

/// <summary>
/// One run of a schedule. Its id is also the batch id of the jobs it created. Files that already
/// had a job are only counted; every other file gets a <see cref="FileDecision"/>.
/// </summary>
public sealed record ScheduleRun
{
    public required string RunId { get; init; }
    public required string ScheduleId { get; init; }
    public required string CustomerId { get; init; }
    public RunCause Cause { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset FinishedAt { get; init; }
    public int FilesSeen { get; init; }
    public int JobsCreated { get; init; }
    public int AlreadyTransferred { get; init; }
    public int Left { get; init; }

    /// <summary>Why the run could not list or create jobs at all (source unreachable, endpoint disabled); null when it could.</summary>
    public string? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }
}

/// <summary>Whether a run took a file, and why or why not: what an operator reads to answer "why wasn't my file sent?".</summary>
public sealed record FileDecision(
    string RunId,
    string Path,
    bool Taken,
    string Reason,
    string Detail,
    string? JobId,
    DateTimeOffset At);

/// <summary>The <see cref="FileDecision.Reason"/> codes.</summary>
public static class DecisionReasons
{
    public const string NewFile = "new_file";
    public const string Excluded = "excluded";
    public const string TooNew = "too_new";
    public const string Changing = "changing";
    public const string NoMarker = "no_marker";
    public const string Vanished = "vanished";
    public const string QueueFull = "queue_full";
}
