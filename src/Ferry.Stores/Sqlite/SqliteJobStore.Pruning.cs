using Ferry.Core.Jobs;
using Microsoft.Data.Sqlite;
using static Ferry.Stores.Sqlite.SqliteJobMapping;

namespace Ferry.Stores.Sqlite;

/// <summary>
/// Retention: finished jobs leave the jobs table with their history and webhook deliveries, and a
/// row in pruned_jobs keeps the idempotency key taken: about 330 bytes with its index, against 2 KB
/// for a job with its history (both measured on the small-files benchmark's store, 150,000 jobs).
/// </summary>
public sealed partial class SqliteJobStore
{
    /// <summary>The pruned_jobs columns, in the order <see cref="ReadPruned"/> reads them.</summary>
    private const string PrunedColumns = "job_id, customer_id, idempotency_key, status, finished_at";

    public Task<int> PruneFinishedAsync(DateTimeOffset finishedBefore, int limit, CancellationToken cancellationToken) =>
        _database.WriteAsync(async (c, tx) =>
        {
            // The partial index jobs_finished holds only terminal jobs in finishing order, so this
            // reads just the jobs it removes however many the store holds. Named, because SQLite's
            // planner (no ANALYZE statistics) may prefer an index on status and read every SUCCEEDED job.
            var finished = new List<PrunedJob>();
            await using (var r = await SqliteCommands.Reused(c, tx, $"""
                SELECT job_id, customer_id, idempotency_key, status, updated_at FROM jobs INDEXED BY jobs_finished
                WHERE status IN {Terminal} AND updated_at < $before ORDER BY updated_at LIMIT $limit
                """, ("$before", Ms(finishedBefore)), ("$limit", Math.Clamp(limit, 1, 10_000))).ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    finished.Add(ReadPruned(r));
                }
            }

            foreach (var job in finished)
            {
                await SqliteCommands.RunAsync(c, tx, $"""
                    INSERT INTO pruned_jobs ({PrunedColumns}) VALUES ($id, $c, $k, $status, $at)
                    ON CONFLICT DO NOTHING
                    """, cancellationToken, ("$id", job.JobId), ("$c", job.CustomerId), ("$k", job.IdempotencyKey), ("$status", Status(job.Status)),
                    ("$at", Ms(job.FinishedAt))).ConfigureAwait(false);
                await SqliteCommands.RunAsync(c, tx, "DELETE FROM job_events WHERE job_id = $id", cancellationToken, ("$id", job.JobId)).ConfigureAwait(false);
                // A failure notice still being sent stays (its sender gives up within hours, long before any retention ends).
                await SqliteCommands.RunAsync(c, tx, "DELETE FROM webhook_deliveries WHERE job_id = $id AND status <> 'pending'", cancellationToken,
                    ("$id", job.JobId)).ConfigureAwait(false);
                await SqliteCommands.RunAsync(c, tx, $"DELETE FROM jobs WHERE job_id = $id AND status IN {Terminal}", cancellationToken,
                    ("$id", job.JobId)).ConfigureAwait(false);
            }

            return finished.Count;
        }, cancellationToken);

    public Task<int> ForgetPrunedAsync(DateTimeOffset finishedBefore, int limit, CancellationToken cancellationToken) =>
        _database.WriteAsync((c, tx) => SqliteCommands.RunAsync(c, tx, """
            DELETE FROM pruned_jobs WHERE job_id IN
                (SELECT job_id FROM pruned_jobs WHERE finished_at < $before ORDER BY finished_at LIMIT $limit)
            """, cancellationToken, ("$before", Ms(finishedBefore)), ("$limit", Math.Clamp(limit, 1, 10_000))), cancellationToken);

    public async Task<PrunedJob?> GetPrunedAsync(string customerId, string jobId, CancellationToken cancellationToken) =>
        (await _database.QueryAsync($"SELECT {PrunedColumns} FROM pruned_jobs WHERE job_id = $id AND customer_id = $c",
            ReadPruned, cancellationToken, ("$id", jobId), ("$c", customerId)).ConfigureAwait(false)).FirstOrDefault();

    /// <summary>The answer to creating <paramref name="job"/> when a pruned job holds its key; null when none does.</summary>
    private static async Task<JobCreation?> PrunedCreationAsync(SqliteConnection c, SqliteTransaction tx, TransferJob job, CancellationToken cancellationToken)
    {
        await using var r = await SqliteCommands.Reused(c, tx,
            $"SELECT {PrunedColumns} FROM pruned_jobs WHERE customer_id = $c AND idempotency_key = $k",
            ("$c", job.CustomerId), ("$k", job.IdempotencyKey)).ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var pruned = ReadPruned(r);
        return new JobCreation(job with { JobId = pruned.JobId, Status = pruned.Status, UpdatedAt = pruned.FinishedAt }, Created: false, Pruned: true);
    }

    private static PrunedJob ReadPruned(SqliteDataReader r) =>
        new(r.GetString(1), r.GetString(0), r.GetString(2), ParseStatus(r.GetString(3)), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)));
}
