using System.Text;
using Ferry.Core.Jobs;
using Microsoft.Data.Sqlite;
using static Ferry.Stores.Sqlite.SqliteJobMapping;

namespace Ferry.Stores.Sqlite;

/// <summary>
/// The embedded job store: one SQLite file in WAL mode, safe for several processes on one host.
/// Conditions live in WHERE clauses, so a stale writer changes nothing (Hangfire's fencing).
/// </summary>
public sealed partial class SqliteJobStore : IJobStore
{
    private const string Terminal = "('SUCCEEDED','FAILED','CANCELLED')";
    private readonly SqliteDatabase _database;

    public SqliteJobStore(SqliteDatabase database) => _database = database;

    /// <summary>Opens (creating if needed) the store in <paramref name="path"/>.</summary>
    public static async Task<SqliteJobStore> OpenAsync(string path, CancellationToken cancellationToken) =>
        new(await SqliteDatabase.OpenAsync(path, cancellationToken).ConfigureAwait(false));

    public async Task<JobCreation> CreateAsync(TransferJob job, JobEvent created, CancellationToken cancellationToken) =>
        (await CreateBatchAsync([new JobSubmission(job, [created])], cancellationToken).ConfigureAwait(false))[0];

    public Task<IReadOnlyList<JobCreation>> CreateBatchAsync(IReadOnlyList<JobSubmission> jobs, CancellationToken cancellationToken) =>
        _database.WriteAsync<IReadOnlyList<JobCreation>>(async (c, tx) =>
        {
            // One transaction for the batch; each insert still decides on its own.
            var results = new List<JobCreation>(jobs.Count);
            foreach (var (job, events) in jobs)
            {
                var insert = SqliteCommands.Reused(c, tx, InsertSql);
                AddJobParameters(insert, job);
                if (await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
                {
                    // Same idempotency key (or job id): the first job stands.
                    var existing = await QuerySingleAsync(c, tx, "customer_id = $c AND idempotency_key = $k", cancellationToken,
                        ("$c", job.CustomerId), ("$k", job.IdempotencyKey)).ConfigureAwait(false)
                        ?? await QuerySingleAsync(c, tx, "job_id = $id AND customer_id = $c", cancellationToken, ("$id", job.JobId), ("$c", job.CustomerId)).ConfigureAwait(false);
                    results.Add(existing is not null
                        ? new JobCreation(existing, Created: false)
                        : await PrunedCreationAsync(c, tx, job, cancellationToken).ConfigureAwait(false)
                          ?? throw new InvalidOperationException($"job id {job.JobId} is taken by another customer's job"));
                    continue;
                }

                foreach (var e in events)
                {
                    await InsertEventAsync(c, tx, e, cancellationToken).ConfigureAwait(false);
                }

                results.Add(new JobCreation(job, Created: true));
            }

            return results;
        }, cancellationToken);

    public async Task<IReadOnlySet<string>> FindExistingKeysAsync(string customerId, IReadOnlyCollection<string> idempotencyKeys, CancellationToken cancellationToken)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        await using var c = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        foreach (var chunk in idempotencyKeys.Distinct().Chunk(500))
        {
            await using var cmd = c.CreateCommand();
            var keys = string.Join(',', chunk.Select((_, i) => "$k" + i));
            cmd.CommandText = $"""
                SELECT idempotency_key FROM jobs WHERE customer_id = $c AND idempotency_key IN ({keys})
                UNION ALL SELECT idempotency_key FROM pruned_jobs WHERE customer_id = $c AND idempotency_key IN ({keys})
                """;
            cmd.Parameters.AddWithValue("$c", customerId);
            for (var i = 0; i < chunk.Length; i++)
            {
                cmd.Parameters.AddWithValue("$k" + i, chunk[i]);
            }

            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                found.Add(r.GetString(0));
            }
        }

        return found;
    }

    public async Task<TransferJob?> GetAsync(string customerId, string jobId, CancellationToken cancellationToken) =>
        (await SelectJobsAsync("job_id = $id AND customer_id = $c LIMIT 1", cancellationToken, ("$id", jobId), ("$c", customerId)).ConfigureAwait(false))
            .FirstOrDefault();

    public async Task<JobPage> ListAsync(JobQuery query, CancellationToken cancellationToken)
    {
        var limit = Math.Clamp(query.Limit, 1, 1000);
        var (whereAndOrder, args) = ListWhere(query, limit + 1);
        var jobs = await SelectJobsAsync(whereAndOrder, cancellationToken, args).ConfigureAwait(false);
        var next = jobs.Count > limit ? JobCursor.Encode(Ms(jobs[limit - 1].CreatedAt), jobs[limit - 1].JobId) : null;
        return new JobPage(jobs.Take(limit).ToList(), next);
    }

    /// <summary>
    /// The conditions, order and limit of a page of <paramref name="query"/>, newest first. With a
    /// status, read in order from jobs_by_customer_status_time (<see cref="SqliteSchema"/>).
    /// </summary>
    internal static (string WhereAndOrder, (string Name, object? Value)[] Args) ListWhere(JobQuery query, int rows)
    {
        var where = new StringBuilder("customer_id = $c");
        var args = new List<(string, object?)> { ("$c", query.CustomerId) };
        if (query.Status is { } status)
        {
            where.Append(" AND status = $status");
            args.Add(("$status", Status(status)));
        }

        if (query.BatchId is { } batch)
        {
            where.Append(" AND batch_id = $batch");
            args.Add(("$batch", batch));
        }

        if (query.EndpointId is { } endpoint)
        {
            where.Append(" AND (source_endpoint_id = $ep OR target_endpoint_id = $ep)");
            args.Add(("$ep", endpoint));
        }

        if (query.CreatedFrom is { } from)
        {
            where.Append(" AND created_at >= $from");
            args.Add(("$from", Ms(from)));
        }

        if (query.CreatedBefore is { } before)
        {
            where.Append(" AND created_at < $before");
            args.Add(("$before", Ms(before)));
        }

        if (query.Cursor is { } cursor)
        {
            var (createdMs, jobId) = JobCursor.Decode(cursor);
            // Keyset paging: rows inserted meanwhile never shift a page.
            where.Append(" AND (created_at, job_id) < ($cur_at, $cur_id)");
            args.Add(("$cur_at", createdMs));
            args.Add(("$cur_id", jobId));
        }

        return ($"{where} ORDER BY created_at DESC, job_id DESC LIMIT {rows}", args.ToArray());
    }

    public async Task<IReadOnlyList<TransferJob>> FindRunnableAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        await _database.QueryAsync(FindRunnableSql, ReadJob, cancellationToken, ("$now", Ms(now)), ("$limit", Math.Clamp(limit, 1, 1000))).ConfigureAwait(false);

    /// <summary>
    /// Mirrors JobStateMachine.IsClaimable, in the order of the index jobs_runnable, so the read
    /// stops after <c>limit</c> rows. Without INDEXED BY the planner (no ANALYZE statistics) took
    /// jobs_by_status, read every queued job and sorted them: 8 ms a dispatch with 3,000 queued,
    /// the dispatcher asking as each job ends.
    /// </summary>
    internal const string FindRunnableSql = $"""
        SELECT {SqliteSchema.JobColumns} FROM jobs INDEXED BY jobs_runnable WHERE status IN ('QUEUED','RUNNING','VERIFYING') AND (
            (status = 'QUEUED' AND (next_attempt_at IS NULL OR next_attempt_at <= $now))
            OR (status IN ('RUNNING','VERIFYING') AND (
                 (lease_owner IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= $now))
              OR (lease_owner IS NOT NULL AND lease_expires_at <= $now))))
        ORDER BY COALESCE(next_attempt_at, lease_expires_at, created_at), job_id LIMIT $limit
        """;

    public Task<TransferJob?> ApplyAsync(JobTransition transition, CancellationToken cancellationToken) =>
        _database.WriteAsync(async (c, tx) => await UpdateAsync(c, tx, transition, cancellationToken).ConfigureAwait(false) ? transition.After : null, cancellationToken);

    /// <remarks>
    /// One write of the single writer: the job's update and the slots' upserts run in a savepoint of
    /// their own, rolled back whole when the job moved on or a resource is full. Taken apart (slots,
    /// then the claim) they were two commits a job waited for in turn before it could start.
    /// </remarks>
    public Task<ClaimedJob?> ClaimAsync(JobTransition claim, IReadOnlyList<SlotRequest> slots, DateTimeOffset slotsExpireAt, CancellationToken cancellationToken) =>
        _database.WriteAsync<ClaimedJob?>(async (c, tx) =>
        {
            const string Savepoint = "claim";
            tx.Save(Savepoint);
            var held = new List<HeldSlot>(slots.Count);
            foreach (var (resource, limit) in slots)
            {
                if (await SqliteConcurrencySlots.TakeAsync(c, tx, resource, limit, claim.After.JobId, claim.After.UpdatedAt, slotsExpireAt, cancellationToken)
                    .ConfigureAwait(false) is not { } slot)
                {
                    break;
                }

                held.Add(new HeldSlot(resource, slot));
            }

            if (held.Count < slots.Count || !await UpdateAsync(c, tx, claim, cancellationToken).ConfigureAwait(false))
            {
                tx.Rollback(Savepoint);
                tx.Release(Savepoint);
                return null;
            }

            tx.Release(Savepoint);
            return new ClaimedJob(claim.After, held);
        }, cancellationToken);

    /// <summary>The transition's conditional update and its history entries; false (nothing written) when its conditions do not hold.</summary>
    private static async Task<bool> UpdateAsync(SqliteConnection c, SqliteTransaction tx, JobTransition transition, CancellationToken cancellationToken)
    {
        var j = transition.After;
        var update = SqliteCommands.Reused(c, tx, transition.RequiredLeaseToken is null ? UpdateSql : UpdateHeldSql);
        AddJobParameters(update, j);
        update.Parameters.AddWithValue("$expected_version", transition.ExpectedVersion);
        update.Parameters.AddWithValue("$expected_status", Status(transition.ExpectedStatus));
        if (transition.RequiredLeaseToken is { } token)
        {
            update.Parameters.AddWithValue("$req_token", token);
            update.Parameters.AddWithValue("$lease_valid_at", Ms(transition.LeaseValidAt ?? j.UpdatedAt));
        }

        if (await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            return false;
        }

        foreach (var e in transition.Events)
        {
            await InsertEventAsync(c, tx, e, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    public async Task<int> CountActiveAsync(string customerId, CancellationToken cancellationToken) =>
        (await _database.QueryAsync(CountActiveSql, r => r.GetInt32(0), cancellationToken, ("$c", customerId)).ConfigureAwait(false))[0];

    /// <summary>A customer's few rows of job_counts (kept by triggers, <see cref="SqliteSchema"/>), however long its queue.</summary>
    internal const string CountActiveSql = $"SELECT COALESCE(SUM(n), 0) FROM job_counts WHERE customer_id = $c AND status NOT IN {Terminal}";

    public Task<IReadOnlyList<JobCount>> CountByStatusAsync(CancellationToken cancellationToken) =>
        CountAsync("SELECT status, flow_type, SUM(n) FROM job_counts GROUP BY status, flow_type", cancellationToken); // kept by triggers (SqliteSchema)

    public Task<IReadOnlyList<JobCount>> CountBatchAsync(string customerId, string batchId, CancellationToken cancellationToken) =>
        CountAsync(CountBatchSql, cancellationToken, ("$c", customerId), ("$b", batchId));

    /// <summary>Read from the index jobs_by_batch_status alone (<see cref="SqliteSchema"/>).</summary>
    internal const string CountBatchSql = "SELECT status, flow_type, COUNT(*) FROM jobs WHERE customer_id = $c AND batch_id = $b GROUP BY status, flow_type";

    private async Task<IReadOnlyList<JobCount>> CountAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] args) =>
        await _database.QueryAsync(sql, r => new JobCount(ParseStatus(r.GetString(0)), r.GetString(1), r.GetInt64(2)), cancellationToken, args).ConfigureAwait(false);

    public async Task<IReadOnlyList<JobEvent>> GetEventsAsync(string customerId, string jobId, CancellationToken cancellationToken) =>
        await _database.QueryAsync("""
            SELECT e.job_id, e.version, e.from_status, e.to_status, e.at, e.actor, e.kind, e.detail
            FROM job_events e WHERE e.job_id = $id
              AND EXISTS (SELECT 1 FROM jobs j WHERE j.job_id = $id AND j.customer_id = $c)
            ORDER BY e.version
            """, ReadEvent, cancellationToken, ("$id", jobId), ("$c", customerId)).ConfigureAwait(false);

    private static async Task InsertEventAsync(SqliteConnection c, SqliteTransaction tx, JobEvent e, CancellationToken cancellationToken)
    {
        var cmd = SqliteCommands.Reused(c, tx, "INSERT INTO job_events (job_id, version, from_status, to_status, at, actor, kind, detail) VALUES ($id, $v, $from, $to, $at, $actor, $kind, $detail)");
        cmd.Parameters.AddWithValue("$id", e.JobId);
        cmd.Parameters.AddWithValue("$v", e.Version);
        cmd.Parameters.AddWithValue("$from", Status(e.From));
        cmd.Parameters.AddWithValue("$to", Status(e.To));
        cmd.Parameters.AddWithValue("$at", Ms(e.At));
        cmd.Parameters.AddWithValue("$actor", e.Actor);
        cmd.Parameters.AddWithValue("$kind", e.Kind);
        cmd.Parameters.AddWithValue("$detail", (object?)e.Detail ?? DBNull.Value);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<TransferJob?> QuerySingleAsync(SqliteConnection c, SqliteTransaction? tx, string where, CancellationToken cancellationToken, params (string, object)[] args) =>
        (await QueryAsync(c, tx, where + " LIMIT 1", cancellationToken, args).ConfigureAwait(false)).FirstOrDefault();

    /// <summary>Jobs matching <paramref name="whereAndRest"/>, read on one of the database's kept readers.</summary>
    private Task<List<TransferJob>> SelectJobsAsync(string whereAndRest, CancellationToken cancellationToken, params (string Name, object? Value)[] args) =>
        _database.QueryAsync($"SELECT {SqliteSchema.JobColumns} FROM jobs WHERE {whereAndRest}", ReadJob, cancellationToken, args);

    private static async Task<List<TransferJob>> QueryAsync(SqliteConnection c, SqliteTransaction? tx, string whereAndRest, CancellationToken cancellationToken, params (string Name, object Value)[] args)
    {
        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"SELECT {SqliteSchema.JobColumns} FROM jobs WHERE {whereAndRest}";
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value);
        }

        var jobs = new List<TransferJob>();
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            jobs.Add(ReadJob(r));
        }

        return jobs;
    }

    /// <summary>A new job, unless its key or id is taken, by a job or by a pruned one (<see cref="PruneFinishedAsync"/>).</summary>
    private static readonly string InsertSql = $"""
        INSERT INTO jobs ({SqliteSchema.JobColumns}) SELECT {Parameters()}
        WHERE NOT EXISTS (SELECT 1 FROM pruned_jobs WHERE customer_id = $customer_id AND idempotency_key = $idempotency_key)
        ON CONFLICT DO NOTHING
        """;

    private static readonly string UpdateSql = $"""
        UPDATE jobs SET status = $status, attempts = $attempts, error_code = $error_code, error_message = $error_message,
            updated_at = $updated_at, next_attempt_at = $next_attempt_at, execution_region = $execution_region, bytes = $bytes,
            sha256 = $sha256, checkpoint = $checkpoint, lease_owner = $lease_owner, lease_token = $lease_token,
            lease_expires_at = $lease_expires_at, version = $version
        WHERE job_id = $job_id AND customer_id = $customer_id AND version = $expected_version AND status = $expected_status
            AND status NOT IN {Terminal}
        """;

    /// <summary>The update of a job held under a lease: the lease must still be this worker's, unexpired.</summary>
    private static readonly string UpdateHeldSql = UpdateSql + " AND lease_token = $req_token AND lease_expires_at > $lease_valid_at";

    private static string Parameters() =>
        string.Join(", ", SqliteSchema.JobColumns.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(col => "$" + col));
}
