using System.Text.Json;
using Ferry.Core.Jobs;
using static Ferry.Stores.Sqlite.SqliteJobMapping;

namespace Ferry.Stores.Sqlite;

/// <summary>Leftovers as JSON documents, with the columns the sweeper queries beside them.</summary>
public sealed class SqliteLeftoverStore(SqliteDatabase database) : ILeftoverStore
{
    public Task AddAsync(Leftover leftover, CancellationToken cancellationToken) =>
        database.ExecuteAsync("""
            INSERT INTO leftovers (leftover_id, customer_id, job_id, next_attempt_at, document)
            VALUES ($id, $c, $job, $next, $doc) ON CONFLICT DO NOTHING
            """, cancellationToken, ("$id", leftover.LeftoverId), ("$c", leftover.CustomerId), ("$job", leftover.JobId),
            ("$next", Ms(leftover.NextAttemptAt)), ("$doc", JsonSerializer.Serialize(leftover)));

    public async Task<IReadOnlyList<Leftover>> FindDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        await database.QueryAsync(
            $"SELECT document FROM leftovers WHERE next_attempt_at <= $now ORDER BY next_attempt_at LIMIT {Math.Clamp(limit, 1, 1000)}",
            Read, cancellationToken, ("$now", Ms(now))).ConfigureAwait(false);

    public async Task<bool> UpdateAsync(Leftover after, DateTimeOffset expectedNextAttemptAt, CancellationToken cancellationToken) =>
        await database.ExecuteAsync(
            "UPDATE leftovers SET next_attempt_at = $next, document = $doc WHERE leftover_id = $id AND next_attempt_at = $expected",
            cancellationToken, ("$next", Ms(after.NextAttemptAt)), ("$doc", JsonSerializer.Serialize(after)), ("$id", after.LeftoverId),
            ("$expected", Ms(expectedNextAttemptAt))).ConfigureAwait(false) == 1;

    public async Task<bool> DeleteAsync(string leftoverId, DateTimeOffset expectedNextAttemptAt, CancellationToken cancellationToken) =>
        await database.ExecuteAsync("DELETE FROM leftovers WHERE leftover_id = $id AND next_attempt_at = $expected",
            cancellationToken, ("$id", leftoverId), ("$expected", Ms(expectedNextAttemptAt))).ConfigureAwait(false) == 1;

    public async Task<Leftover?> GetForJobAsync(string customerId, string jobId, CancellationToken cancellationToken) =>
        (await database.QueryAsync("SELECT document FROM leftovers WHERE job_id = $job AND customer_id = $c", Read, cancellationToken,
            ("$job", jobId), ("$c", customerId)).ConfigureAwait(false)).FirstOrDefault();

    private static Leftover Read(Microsoft.Data.Sqlite.SqliteDataReader r) =>
        JsonSerializer.Deserialize<Leftover>(r.GetString(0)) ?? throw new InvalidDataException("a leftover row holds null");
}
