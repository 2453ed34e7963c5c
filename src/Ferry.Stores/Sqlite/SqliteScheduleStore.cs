using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Core.Schedules;
using Microsoft.Data.Sqlite;
using static Ferry.Stores.Sqlite.SqliteJobMapping;

namespace Ferry.Stores.Sqlite;

/// <summary>
/// Schedules as JSON documents (like endpoints), with the columns the scheduler queries beside
/// them: status and the due time. Runs are documents too; decisions are rows, looked up by path.
/// </summary>
public sealed class SqliteScheduleStore(SqliteDatabase database) : IScheduleStore
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };
    private const string Columns = "document, next_run_at, last_run_at";

    public async Task<bool> CreateAsync(Schedule schedule, DateTimeOffset? nextRunAt, CancellationToken cancellationToken) =>
        await database.ExecuteAsync("""
            INSERT INTO schedules (schedule_id, customer_id, version, status, next_run_at, last_run_at, document)
            VALUES ($id, $c, $v, $status, $next, NULL, $doc) ON CONFLICT DO NOTHING
            """, cancellationToken, ("$id", schedule.ScheduleId), ("$c", schedule.CustomerId), ("$v", schedule.Version),
            ("$status", StatusText(schedule.Status)), ("$next", MsOrNull(nextRunAt)), ("$doc", JsonSerializer.Serialize(schedule, Json))).ConfigureAwait(false) == 1;

    public async Task<(Schedule Schedule, ScheduleState State)?> GetAsync(string customerId, string scheduleId, CancellationToken cancellationToken)
    {
        var rows = await database.QueryAsync($"SELECT {Columns} FROM schedules WHERE schedule_id = $id AND customer_id = $c", Read, cancellationToken,
            ("$id", scheduleId), ("$c", customerId)).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<SchedulePage> ListAsync(string customerId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        limit = Math.Clamp(limit, 1, 1000);
        var rows = await database.QueryAsync(
            $"SELECT {Columns} FROM schedules WHERE customer_id = $c AND schedule_id > $after ORDER BY schedule_id LIMIT {limit + 1}", Read, cancellationToken,
            ("$c", customerId), ("$after", cursor ?? "")).ConfigureAwait(false);
        return new SchedulePage(rows.Take(limit).ToList(), rows.Count > limit ? rows[limit - 1].Schedule.ScheduleId : null);
    }

    public async Task<bool> UpdateAsync(Schedule after, long expectedVersion, DateTimeOffset? nextRunAt, CancellationToken cancellationToken) =>
        await database.ExecuteAsync("""
            UPDATE schedules SET version = $v, status = $status, next_run_at = $next, document = $doc
            WHERE schedule_id = $id AND customer_id = $c AND version = $expected
            """, cancellationToken, ("$v", after.Version), ("$status", StatusText(after.Status)), ("$next", MsOrNull(nextRunAt)),
            ("$doc", JsonSerializer.Serialize(after, Json)), ("$id", after.ScheduleId), ("$c", after.CustomerId), ("$expected", expectedVersion))
            .ConfigureAwait(false) == 1;

    public Task<bool> DeleteAsync(string customerId, string scheduleId, long? expectedVersion, CancellationToken cancellationToken) =>
        database.WriteAsync(async (c, tx) =>
        {
            var deleted = await SqliteCommands.RunAsync(c, tx, "DELETE FROM schedules WHERE schedule_id = $id AND customer_id = $c AND ($expected IS NULL OR version = $expected)",
                cancellationToken, ("$id", scheduleId), ("$c", customerId), ("$expected", expectedVersion)).ConfigureAwait(false);
            if (deleted == 1)
            {
                await SqliteCommands.RunAsync(c, tx, "DELETE FROM schedule_decisions WHERE schedule_id = $id", cancellationToken, ("$id", scheduleId)).ConfigureAwait(false);
                await SqliteCommands.RunAsync(c, tx, "DELETE FROM schedule_runs WHERE schedule_id = $id", cancellationToken, ("$id", scheduleId)).ConfigureAwait(false);
            }

            return deleted == 1;
        }, cancellationToken);

    public async Task<IReadOnlyList<(Schedule Schedule, ScheduleState State)>> FindDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        await database.QueryAsync(
            $"SELECT {Columns} FROM schedules WHERE status = 'ACTIVE' AND next_run_at IS NOT NULL AND next_run_at <= $now ORDER BY next_run_at LIMIT {Math.Clamp(limit, 1, 1000)}",
            Read, cancellationToken, ("$now", Ms(now))).ConfigureAwait(false);

    public async Task<bool> ClaimTickAsync(string customerId, string scheduleId, DateTimeOffset dueAt, DateTimeOffset? nextRunAt, DateTimeOffset now, CancellationToken cancellationToken) =>
        await database.ExecuteAsync("""
            UPDATE schedules SET next_run_at = $next, last_run_at = $now
            WHERE schedule_id = $id AND customer_id = $c AND status = 'ACTIVE' AND next_run_at = $due
            """, cancellationToken, ("$next", MsOrNull(nextRunAt)), ("$now", Ms(now)), ("$id", scheduleId), ("$c", customerId), ("$due", Ms(dueAt)))
            .ConfigureAwait(false) == 1;

    public Task AppendRunAsync(ScheduleRun run, IReadOnlyList<FileDecision> decisions, int keepRuns, CancellationToken cancellationToken) =>
        database.WriteAsync(async (c, tx) =>
        {
            await SqliteCommands.RunAsync(c, tx, "INSERT INTO schedule_runs (run_id, schedule_id, customer_id, document) VALUES ($id, $s, $c, $doc)", cancellationToken,
                ("$id", run.RunId), ("$s", run.ScheduleId), ("$c", run.CustomerId), ("$doc", JsonSerializer.Serialize(run, Json))).ConfigureAwait(false);
            await using (var insert = c.CreateCommand())
            {
                insert.Transaction = tx;
                insert.CommandText = """
                    INSERT INTO schedule_decisions (schedule_id, run_id, path, taken, reason, detail, job_id, at)
                    VALUES ($s, $run, $path, $taken, $reason, $detail, $job, $at)
                    """;
                foreach (var d in decisions)
                {
                    insert.Parameters.Clear();
                    insert.Parameters.AddWithValue("$s", run.ScheduleId);
                    insert.Parameters.AddWithValue("$run", d.RunId);
                    insert.Parameters.AddWithValue("$path", d.Path);
                    insert.Parameters.AddWithValue("$taken", d.Taken ? 1 : 0);
                    insert.Parameters.AddWithValue("$reason", d.Reason);
                    insert.Parameters.AddWithValue("$detail", d.Detail);
                    insert.Parameters.AddWithValue("$job", (object?)d.JobId ?? DBNull.Value);
                    insert.Parameters.AddWithValue("$at", Ms(d.At));
                    await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            // Run ids are time-ordered: everything older than the newest keepRuns goes.
            const string Stale = "SELECT run_id FROM schedule_runs WHERE schedule_id = $s ORDER BY run_id DESC LIMIT -1 OFFSET $keep";
            await SqliteCommands.RunAsync(c, tx, $"DELETE FROM schedule_decisions WHERE run_id IN ({Stale})", cancellationToken, ("$s", run.ScheduleId), ("$keep", keepRuns)).ConfigureAwait(false);
            await SqliteCommands.RunAsync(c, tx, $"DELETE FROM schedule_runs WHERE run_id IN ({Stale})", cancellationToken, ("$s", run.ScheduleId), ("$keep", keepRuns)).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public async Task<IReadOnlyList<ScheduleRun>> ListRunsAsync(string customerId, string scheduleId, int limit, CancellationToken cancellationToken) =>
        await database.QueryAsync(
            $"SELECT document FROM schedule_runs WHERE schedule_id = $s AND customer_id = $c ORDER BY run_id DESC LIMIT {Math.Clamp(limit, 1, 1000)}",
            r => JsonSerializer.Deserialize<ScheduleRun>(r.GetString(0), Json)!, cancellationToken, ("$s", scheduleId), ("$c", customerId)).ConfigureAwait(false);

    public async Task<IReadOnlyList<FileDecision>> ListDecisionsAsync(string customerId, string scheduleId, string? path, int limit, CancellationToken cancellationToken)
    {
        if (await GetAsync(customerId, scheduleId, cancellationToken).ConfigureAwait(false) is null)
        {
            return [];
        }

        return await database.QueryAsync(
            $"""
            SELECT run_id, path, taken, reason, detail, job_id, at FROM schedule_decisions
            WHERE schedule_id = $s {(path is null ? "" : "AND path = $path")} ORDER BY seq DESC LIMIT {Math.Clamp(limit, 1, 1000)}
            """,
            r => new FileDecision(r.GetString(0), r.GetString(1), r.GetInt64(2) == 1, r.GetString(3), r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6))),
            cancellationToken, ("$s", scheduleId), ("$path", path)).ConfigureAwait(false);
    }

    private static string StatusText(ScheduleStatus status) => status.ToString().ToUpperInvariant();

    private static (Schedule Schedule, ScheduleState State) Read(SqliteDataReader r) => (
        JsonSerializer.Deserialize<Schedule>(r.GetString(0), Json) ?? throw new InvalidDataException("a schedule row holds null"),
        new ScheduleState(
            r.IsDBNull(1) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)),
            r.IsDBNull(2) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2))));
}
