using System.Globalization;

namespace Ferry.Cli.Remote;

/// <summary>
/// Waits for a given set of jobs by reading each unfinished one in turn, every
/// <see cref="Interval"/>. For a transfer request whose jobs partly existed already (a rerun: a
/// file's job keeps the batch of the request that made it), which the request's own batch does not
/// hold. Each change in the counts is reported as one line, as <see cref="BatchWait"/> does.
/// </summary>
internal static class JobSetWait
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    /// <summary>The jobs (each with the server's JSON) once all are finished, or as they stand when <paramref name="timeout"/> has passed.</summary>
    public static async Task<Listing<JobDto>> UntilFinishedAsync(FerryApi api, IReadOnlyList<(JobDto Job, string Json)> jobs, TimeSpan? timeout, Action<string> report,
        CancellationToken cancellationToken)
    {
        var deadline = timeout is { } t ? DateTimeOffset.UtcNow + t : DateTimeOffset.MaxValue;
        var latest = jobs.ToList();
        string? last = null;
        while (true)
        {
            var line = Describe(latest.Select(j => j.Job).ToList());
            if (line != last)
            {
                report(line);
                last = line;
            }

            if (latest.All(j => j.Job.IsFinished) || DateTimeOffset.UtcNow >= deadline)
            {
                return Listing<JobDto>.Of(latest);
            }

            await Task.Delay(Interval, cancellationToken);
            for (var i = 0; i < latest.Count; i++)
            {
                if (!latest[i].Job.IsFinished)
                {
                    var answer = await api.GetAsync($"v1/jobs/{RemoteCommand.Escape(latest[i].Job.JobId)}", RemoteJson.Default.JobDto, cancellationToken);
                    latest[i] = (answer.Value, answer.Json);
                }
            }
        }
    }

    private static string Describe(List<JobDto> jobs) =>
        string.Create(CultureInfo.InvariantCulture, $"{jobs.Count(j => j.IsFinished)} of {jobs.Count} jobs finished ") +
        BatchWait.Counts(jobs.GroupBy(j => j.Status).Select(g => KeyValuePair.Create(g.Key, (long)g.Count())));
}
