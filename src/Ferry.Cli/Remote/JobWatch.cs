using Ferry.Cli.Output;

namespace Ferry.Cli.Remote;

/// <summary>
/// Follows one job until it finishes, reading it every <see cref="Interval"/> and reporting a line
/// whenever what it shows changes: status, attempt, the bytes its target holds (from the checkpoint
/// the worker saves with each lease renewal) with the rate between two such saves, the next try.
/// </summary>
internal static class JobWatch
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>The job (with the server's JSON for it) once finished, or as it stands when <paramref name="timeout"/> has passed (then unfinished).</summary>
    public static async Task<Answer<JobDto>> UntilFinishedAsync(FerryApi api, string jobId, TimeSpan? timeout, Action<string> report, CancellationToken cancellationToken)
    {
        var deadline = timeout is { } t ? DateTimeOffset.UtcNow + t : DateTimeOffset.MaxValue;
        string? last = null;
        ProgressDto? seen = null;
        var rate = "";
        while (true)
        {
            var answer = await api.GetAsync($"v1/jobs/{RemoteCommand.Escape(jobId)}", RemoteJson.Default.JobDto, cancellationToken);
            var job = answer.Value;
            if (job.Progress is { } saved && (seen is null || saved.AsOf > seen.AsOf))
            {
                rate = Rate(seen, saved);
                seen = saved;
            }

            var line = $"{job.JobId}: {job.Status}" + (job.AttemptCount > 0 ? $", attempt {job.AttemptCount}" : "") +
                       (job.Progress is { } p ? ", " + p.Describe() + rate : "") +
                       (job.Status == "RUNNING" && job.NextAttemptAt is { } next && next > DateTimeOffset.UtcNow ? $", next try at {JobOutput.Time(next)}" : "");
            if (line != last)
            {
                report(line);
                last = line;
            }

            if (job.IsFinished || DateTimeOffset.UtcNow >= deadline)
            {
                return answer;
            }

            await Task.Delay(Interval, cancellationToken);
        }
    }

    /// <summary>The rate between two saved progress points, when the second is further on.</summary>
    private static string Rate(ProgressDto? before, ProgressDto now) =>
        before is not null && now.AsOf > before.AsOf && now.BytesAtTarget > before.BytesAtTarget
            ? ", " + Units.Rate((now.BytesAtTarget - before.BytesAtTarget) / (now.AsOf - before.AsOf).TotalSeconds)
            : "";
}
