using Ferry.Core.Audit;
using Ferry.Core.Jobs;
using Ferry.Core.Triggers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Hosting;

/// <summary>
/// Keeps the store from growing without end: jobs finished more than
/// <see cref="FerryOptions.JobRetentionDays"/> ago go with their history (each leaves a pruned
/// record, so its file is still not transferred again), so do the event sequencers of objects
/// that had no event for as long, and audit entries older than
/// <see cref="FerryOptions.AuditRetentionDays"/> go when that is set, as do the pruned jobs' records
/// past <see cref="FerryOptions.PrunedJobRetentionDays"/>. Runs at start and then hourly,
/// in rounds of a few hundred with a pause between them, so the API's writes are never held up
/// behind a long delete. Several processes sharing a store may all run it: a job or entry goes once.
/// </summary>
internal sealed class RetentionSweeper(
    IJobStore jobs, IAuditLog audit, ITriggerStore triggers, FerryOptions options, ServerMetrics metrics, ILogger<RetentionSweeper> logger, TimeProvider time)
    : BackgroundService
{
    /// <summary>
    /// Jobs or entries per write. Measured on the 2-core VM, 150,000 jobs of the small-files
    /// benchmark's store: 500 a round held the writer ~65 ms each; 200 keep it under ~30 ms.
    /// </summary>
    private const int Round = 200;

    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(50);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        do
        {
            try
            {
                await SweepAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Retention sweep failed; it runs again in an hour");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>Removes what the retention settings allow, logging and counting what went.</summary>
    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var prunedJobs = options.JobRetentionDays == 0 ? 0
            : await InRoundsAsync(n => jobs.PruneFinishedAsync(now.AddDays(-options.JobRetentionDays), n, cancellationToken), cancellationToken).ConfigureAwait(false);
        var forgotten = options.PrunedJobRetentionDays == 0 ? 0
            : await InRoundsAsync(n => jobs.ForgetPrunedAsync(now.AddDays(-options.PrunedJobRetentionDays), n, cancellationToken), cancellationToken).ConfigureAwait(false);
        var prunedSequencers = options.JobRetentionDays == 0 ? 0
            : await InRoundsAsync(n => triggers.PruneSequencersAsync(now.AddDays(-options.JobRetentionDays), n, cancellationToken), cancellationToken).ConfigureAwait(false);
        var prunedEntries = options.AuditRetentionDays == 0 ? 0
            : await InRoundsAsync(n => audit.PruneAsync(now.AddDays(-options.AuditRetentionDays), n, cancellationToken), cancellationToken).ConfigureAwait(false);
        metrics.Removed("job", prunedJobs);
        metrics.Removed("pruned_record", forgotten);
        metrics.Removed("sequencer", prunedSequencers);
        metrics.Removed("audit_entry", prunedEntries);
        if (prunedJobs > 0)
        {
            logger.LogInformation("Retention removed {Count} jobs finished more than {Days} days ago", prunedJobs, options.JobRetentionDays);
        }

        if (forgotten > 0)
        {
            logger.LogInformation("Retention forgot {Count} jobs finished more than {Days} days ago: their files count as never transferred", forgotten,
                options.PrunedJobRetentionDays);
        }

        if (prunedSequencers > 0)
        {
            logger.LogInformation("Retention forgot the event sequencers of {Count} objects with no event for {Days} days", prunedSequencers, options.JobRetentionDays);
        }

        if (prunedEntries > 0)
        {
            logger.LogInformation("Retention removed {Count} audit entries older than {Days} days", prunedEntries, options.AuditRetentionDays);
        }
    }

    private async Task<int> InRoundsAsync(Func<int, Task<int>> prune, CancellationToken cancellationToken)
    {
        var total = 0;
        int removed;
        do
        {
            removed = await prune(Round).ConfigureAwait(false);
            total += removed;
            if (removed == Round)
            {
                await Task.Delay(Pause, time, cancellationToken).ConfigureAwait(false);
            }
        }
        while (removed == Round);
        return total;
    }
}
