using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Core.Triggers;

namespace Ferry.Stores.Sqlite;

/// <summary>Triggers as JSON documents (like schedules); the newest sequencer per object as rows.</summary>
public sealed class SqliteTriggerStore(SqliteDatabase database) : ITriggerStore
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    public async Task<bool> CreateAsync(Trigger trigger, CancellationToken cancellationToken) =>
        await database.ExecuteAsync("""
            INSERT INTO triggers (trigger_id, customer_id, version, reconciling, document) VALUES ($id, $c, $v, $r, $doc) ON CONFLICT DO NOTHING
            """, cancellationToken, ("$id", trigger.TriggerId), ("$c", trigger.CustomerId), ("$v", trigger.Version), ("$r", Reconciling(trigger)),
            ("$doc", JsonSerializer.Serialize(trigger, Json))).ConfigureAwait(false) == 1;

    public async Task<Trigger?> GetAsync(string customerId, string triggerId, CancellationToken cancellationToken) =>
        (await database.QueryAsync("SELECT document FROM triggers WHERE trigger_id = $id AND customer_id = $c", Read, cancellationToken,
            ("$id", triggerId), ("$c", customerId)).ConfigureAwait(false)).FirstOrDefault();

    public async Task<Trigger?> FindAsync(string triggerId, CancellationToken cancellationToken) =>
        (await database.QueryAsync("SELECT document FROM triggers WHERE trigger_id = $id", Read, cancellationToken, ("$id", triggerId)).ConfigureAwait(false))
            .FirstOrDefault();

    public async Task<TriggerPage> ListAsync(string customerId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        limit = Math.Clamp(limit, 1, 1000);
        var rows = await database.QueryAsync(
            $"SELECT document FROM triggers WHERE customer_id = $c AND trigger_id > $after ORDER BY trigger_id LIMIT {limit + 1}", Read, cancellationToken,
            ("$c", customerId), ("$after", cursor ?? "")).ConfigureAwait(false);
        return new TriggerPage(rows.Take(limit).ToList(), rows.Count > limit ? rows[limit - 1].TriggerId : null);
    }

    public async Task<IReadOnlyList<Trigger>> ListReconcilingAsync(CancellationToken cancellationToken) =>
        await database.QueryAsync("SELECT document FROM triggers WHERE reconciling = 1 ORDER BY trigger_id", Read, cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<Trigger>> ListQueuedAsync(CancellationToken cancellationToken) =>
        await database.QueryAsync("SELECT document FROM triggers WHERE json_extract(document, '$.SqsQueueUrl') IS NOT NULL ORDER BY trigger_id", Read, cancellationToken)
            .ConfigureAwait(false);

    public async Task<bool> UpdateAsync(Trigger after, long expectedVersion, CancellationToken cancellationToken) =>
        await database.ExecuteAsync("""
            UPDATE triggers SET version = $v, reconciling = $r, document = $doc WHERE trigger_id = $id AND customer_id = $c AND version = $expected
            """, cancellationToken, ("$v", after.Version), ("$r", Reconciling(after)), ("$doc", JsonSerializer.Serialize(after, Json)),
            ("$id", after.TriggerId), ("$c", after.CustomerId), ("$expected", expectedVersion)).ConfigureAwait(false) == 1;

    public Task<bool> DeleteAsync(string customerId, string triggerId, CancellationToken cancellationToken) =>
        database.WriteAsync(async (c, tx) =>
        {
            var deleted = await SqliteCommands.RunAsync(c, tx, "DELETE FROM triggers WHERE trigger_id = $id AND customer_id = $c", cancellationToken,
                ("$id", triggerId), ("$c", customerId)).ConfigureAwait(false);
            if (deleted == 1)
            {
                await SqliteCommands.RunAsync(c, tx, "DELETE FROM trigger_sequencers WHERE trigger_id = $id", cancellationToken, ("$id", triggerId)).ConfigureAwait(false);
            }

            return deleted == 1;
        }, cancellationToken);

    public Task<bool> AdvanceSequencerAsync(string triggerId, string key, string sequencer, DateTimeOffset now, CancellationToken cancellationToken) =>
        // One writer at a time: the read and the write below cannot interleave with another event's.
        database.WriteAsync(async (c, tx) =>
        {
            await using var read = c.CreateCommand();
            read.Transaction = tx;
            read.CommandText = "SELECT sequencer FROM trigger_sequencers WHERE trigger_id = $t AND object_key = $k";
            read.Parameters.AddWithValue("$t", triggerId);
            read.Parameters.AddWithValue("$k", key);
            if (await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string newest && Sequencers.Compare(sequencer, newest) < 0)
            {
                return false;
            }

            await SqliteCommands.RunAsync(c, tx, """
                INSERT INTO trigger_sequencers (trigger_id, object_key, sequencer, seen_at) VALUES ($t, $k, $s, $now)
                ON CONFLICT (trigger_id, object_key) DO UPDATE SET sequencer = excluded.sequencer, seen_at = excluded.seen_at
                """, cancellationToken, ("$t", triggerId), ("$k", key), ("$s", sequencer), ("$now", now.ToUnixTimeMilliseconds())).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public Task<int> PruneSequencersAsync(DateTimeOffset seenBefore, int limit, CancellationToken cancellationToken) =>
        database.ExecuteAsync("""
            DELETE FROM trigger_sequencers WHERE rowid IN (
                SELECT rowid FROM trigger_sequencers WHERE seen_at < $before ORDER BY seen_at LIMIT $limit)
            """, cancellationToken, ("$before", seenBefore.ToUnixTimeMilliseconds()), ("$limit", Math.Clamp(limit, 1, 10_000)));

    private static int Reconciling(Trigger t) => t.ReconcileEvery is null ? 0 : 1;

    private static Trigger Read(Microsoft.Data.Sqlite.SqliteDataReader r) =>
        JsonSerializer.Deserialize<Trigger>(r.GetString(0), Json) ?? throw new InvalidDataException("a trigger row holds null");
}
