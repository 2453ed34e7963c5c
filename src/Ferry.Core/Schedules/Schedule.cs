namespace Ferry.Core.Schedules;

/// <summary>ACTIVE schedules run when due; PAUSED ones keep their settings and do not.</summary>
public enum ScheduleStatus
{
    Active,
    Paused,
}

/// <summary>
/// A standing pull rule: on every tick, list <see cref="SourcePath"/> on the source endpoint, keep
/// the files that pass the filters and have stopped changing, and create a job for each one no
/// job exists for yet. What the user set is versioned (<see cref="Version"/>, the API's ETag);
/// when it runs next is scheduler state kept beside it, so a tick never invalidates an ETag.
/// </summary>
public sealed record Schedule
{
    public required string ScheduleId { get; init; }
    public required string CustomerId { get; init; }
    public required string Name { get; init; }
    public ScheduleStatus Status { get; init; } = ScheduleStatus.Active;

    public required string SourceEndpointId { get; init; }

    /// <summary>The directory (SFTP) or prefix (S3) listed on each run, relative to the endpoint's base.</summary>
    public required string SourcePath { get; init; }

    /// <summary>Globs on the path relative to <see cref="SourcePath"/>; empty takes every file.</summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    public IReadOnlyList<string> Exclude { get; init; } = [];

    public bool Recursive { get; init; }

    public required string TargetEndpointId { get; init; }

    /// <summary>A <see cref="PathTemplate"/> for each file's target path, e.g. "in/{date:yyyy/MM/dd}/{name}".</summary>
    public required string TargetPath { get; init; }

    /// <summary>The jobs' <see cref="Jobs.JobPolicy"/> as JSON.</summary>
    public required string PolicyJson { get; init; }

    public required ScheduleTrigger Trigger { get; init; }

    /// <summary>A file is taken only when it was last modified at least this long ago.</summary>
    public TimeSpan MinAge { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The wait between the two looks at a candidate: its size and modification time must not
    /// change in between. Zero relies on <see cref="MinAge"/> alone.
    /// </summary>
    public TimeSpan StableFor { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Where the partner writes a marker when a file is complete ("report.csv.done" for ".done"):
    /// with any set, a file is taken only once one of its markers exists. Markers are never transferred.
    /// </summary>
    public IReadOnlyList<string> MarkerSuffixes { get; init; } = [];

    /// <summary>
    /// Done to each source file once its job's delivery is verified; a move's archive path is a
    /// <see cref="PathTemplate"/> (relative to the source endpoint's base) rendered per file.
    /// </summary>
    public Jobs.SourceAction AfterSuccess { get; init; } = Jobs.SourceAction.None;

    public long Version { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>When a schedule fires: a cron expression in a time zone, or a fixed interval.</summary>
public sealed record ScheduleTrigger
{
    /// <summary>Five fields (minute precision) or six (seconds first), as Cronos reads them.</summary>
    public string? Cron { get; init; }

    /// <summary>An IANA time zone ("Europe/Paris"); cron fields are read in it. "UTC" by default.</summary>
    public string TimeZone { get; init; } = "UTC";

    public TimeSpan? Interval { get; init; }
}

/// <summary>Scheduler state beside a schedule: when it is next due and when it last ran.</summary>
public sealed record ScheduleState(DateTimeOffset? NextRunAt, DateTimeOffset? LastRunAt);
