namespace Ferry.Engine.Schedules;

/// <summary>Limits on what schedule runs do.</summary>
public sealed record ScheduleOptions
{
    /// <summary>How often the scheduler looks for due schedules.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Runs in progress at once in this process.</summary>
    public int MaxConcurrentRuns { get; init; } = 4;

    /// <summary>Files one run looks at; the rest wait for the next run.</summary>
    public int MaxFilesPerRun { get; init; } = 10_000;

    /// <summary>Decisions recorded per run (the run's counts are always complete).</summary>
    public int MaxDecisionsPerRun { get; init; } = 1_000;

    /// <summary>Runs kept per schedule, with their decisions.</summary>
    public int KeepRuns { get; init; } = 100;

    /// <summary>A customer's queued or running jobs above which runs create no more (backpressure).</summary>
    public int MaxActiveJobsPerCustomer { get; init; } = 100_000;
}
