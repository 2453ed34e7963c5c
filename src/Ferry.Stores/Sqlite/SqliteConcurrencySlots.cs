using Ferry.Core.Endpoints;
using Microsoft.Data.Sqlite;
using static Ferry.Stores.Sqlite.SqliteJobMapping;

namespace Ferry.Stores.Sqlite;

/// <summary>Concurrency slots as rows (resource, slot); taking one is a conditional upsert, done with the job's claim.</summary>
public sealed class SqliteConcurrencySlots(SqliteDatabase database) : IConcurrencySlots
{
    private const string RenewSql = "UPDATE concurrency_slots SET expires_at = $exp WHERE resource = $r AND slot = $s AND holder = $h";

    /// <summary>
    /// Takes a free (or expired) slot below <paramref name="limit"/> for <paramref name="holder"/>,
    /// or the one it already holds (its expiry moved on); null when all are taken. Inside the
    /// transaction of a claim (<see cref="SqliteJobStore.ClaimAsync"/>): the check for a slot already
    /// held and every slot tried cost no commit of their own, however many are busy.
    /// </summary>
    internal static async Task<int?> TakeAsync(
        SqliteConnection c, SqliteTransaction tx, string resource, int limit, string holder, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        if (await SqliteCommands.ScalarAsync(c, tx, "SELECT slot FROM concurrency_slots WHERE resource = $r AND holder = $h AND slot < $limit LIMIT 1",
                cancellationToken, ("$r", resource), ("$h", holder), ("$limit", limit)).ConfigureAwait(false) is long held)
        {
            await SqliteCommands.RunAsync(c, tx, RenewSql, cancellationToken, ("$exp", Ms(expiresAt)), ("$r", resource), ("$s", held), ("$h", holder)).ConfigureAwait(false);
            return (int)held;
        }

        for (var slot = 0; slot < limit; slot++)
        {
            // Inserted, or taken over from a holder whose expiry passed; a live holder keeps it.
            var changed = await SqliteCommands.RunAsync(c, tx, """
                INSERT INTO concurrency_slots (resource, slot, holder, expires_at) VALUES ($r, $s, $h, $exp)
                ON CONFLICT (resource, slot) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                WHERE concurrency_slots.expires_at <= $now
                """, cancellationToken, ("$r", resource), ("$s", slot), ("$h", holder), ("$exp", Ms(expiresAt)), ("$now", Ms(now))).ConfigureAwait(false);
            if (changed == 1)
            {
                return slot;
            }
        }

        return null;
    }

    public async Task<bool> RenewAsync(string resource, int slot, string holder, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        await database.ExecuteAsync(RenewSql, cancellationToken,
            ("$exp", Ms(expiresAt)), ("$r", resource), ("$s", slot), ("$h", holder)).ConfigureAwait(false) == 1;

    public Task ReleaseAsync(string resource, int slot, string holder, CancellationToken cancellationToken) =>
        database.ExecuteAsync("DELETE FROM concurrency_slots WHERE resource = $r AND slot = $s AND holder = $h", cancellationToken,
            ("$r", resource), ("$s", slot), ("$h", holder));

    public async Task<int> CountHeldAsync(string resource, DateTimeOffset now, CancellationToken cancellationToken) =>
        (await database.QueryAsync("SELECT COUNT(*) FROM concurrency_slots WHERE resource = $r AND expires_at > $now", r => r.GetInt32(0), cancellationToken,
            ("$r", resource), ("$now", Ms(now))).ConfigureAwait(false))[0];
}
