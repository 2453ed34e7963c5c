using System.Globalization;
using Ferry.Core.Audit;
using Microsoft.Data.Sqlite;
using static Ferry.Stores.Sqlite.SqliteJobMapping;

namespace Ferry.Stores.Sqlite;

/// <summary>The audit trail as an append-only table; pages follow the insertion sequence, and the retention removes the oldest.</summary>
public sealed class SqliteAuditLog(SqliteDatabase database) : IAuditLog
{
    public Task AppendAsync(AuditEntry entry, CancellationToken cancellationToken) =>
        database.ExecuteAsync("""
            INSERT INTO audit_log (audit_id, customer_id, at, actor, action, entity_type, entity_id, changes)
            VALUES ($id, $c, $at, $actor, $action, $type, $entity, $changes)
            """, cancellationToken, ("$id", entry.AuditId), ("$c", entry.CustomerId), ("$at", Ms(entry.At)), ("$actor", entry.Actor),
            ("$action", entry.Action), ("$type", entry.EntityType), ("$entity", entry.EntityId), ("$changes", entry.Changes));

    public async Task<AuditPage> ListAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        var limit = Math.Clamp(query.Limit, 1, 1000);
        long before = long.MaxValue;
        if (query.Cursor is { } cursor && !long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out before))
        {
            throw new ArgumentException("The cursor is not one this server issued.", nameof(query));
        }

        var rows = await database.QueryAsync($"""
            SELECT seq, audit_id, customer_id, at, actor, action, entity_type, entity_id, changes FROM audit_log
            WHERE customer_id = $c AND seq < $before AND ($entity IS NULL OR entity_id = $entity)
            ORDER BY seq DESC LIMIT {limit + 1}
            """, r => (Seq: r.GetInt64(0), Entry: Read(r)), cancellationToken, ("$c", query.CustomerId), ("$before", before), ("$entity", query.EntityId))
            .ConfigureAwait(false);
        return new AuditPage(rows.Take(limit).Select(r => r.Entry).ToList(),
            rows.Count > limit ? rows[limit - 1].Seq.ToString(CultureInfo.InvariantCulture) : null);
    }

    public Task<int> PruneAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken) =>
        // Among the oldest entries only (seq order), so a run reads no more than it may delete.
        database.ExecuteAsync("""
            DELETE FROM audit_log WHERE seq IN (
                SELECT seq FROM (SELECT seq, at FROM audit_log ORDER BY seq LIMIT $limit) WHERE at < $before)
            """, cancellationToken, ("$before", Ms(before)), ("$limit", Math.Clamp(limit, 1, 10_000)));

    private static AuditEntry Read(SqliteDataReader r) => new(r.GetString(1), r.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)),
        r.GetString(4), r.GetString(5), r.GetString(6), r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8));
}
