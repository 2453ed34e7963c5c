using Ferry.Core.Connectors;

namespace Ferry.Engine.Jobs;

/// <summary>How one process's engine runs jobs.</summary>
public sealed record EngineOptions
{
    /// <summary>This worker's name in leases and job history; unique per process.</summary>
    public string WorkerId { get; init; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Recorded on each attempt; in multi-region deployments it also decides partition ownership.</summary>
    public string Region { get; init; } = "local";

    /// <summary>Jobs this process runs at once; 0 runs none (an API-only process).</summary>
    public int Workers { get; init; } = 8;

    /// <summary>A job's lease; renewed every third of it, so a crashed worker's jobs are taken over within one lease.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the store is asked for runnable jobs when nothing woke the engine sooner.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>On shutdown, how long running transfers may take to finish before their leases are given back.</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The first wait before removing again what a failed job left at an unreachable target
    /// (<see cref="Core.Jobs.Leftover"/>); it doubles with each failed try, up to an hour.
    /// </summary>
    public TimeSpan LeftoverRetry { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long the removal of a leftover is tried before it is given up on (and logged as an error).</summary>
    public TimeSpan LeftoverGiveUp { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Staging area for SFTP-to-SFTP transfers.</summary>
    public IConnector? Staging { get; init; }
}
