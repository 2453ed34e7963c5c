using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Ferry.Stores.Sqlite;

/// <summary>
/// Statements with bound parameters, on the long-lived connections that keep them prepared: the
/// writer (inside its transaction, see <see cref="SqliteDatabase.WriteAsync{T}"/>) and the kept readers.
/// </summary>
internal static class SqliteCommands
{
    /// <summary>Statements kept per connection before the cache starts over (the stores use a few dozen texts).</summary>
    private const int MaxCachedPerConnection = 128;

    private static readonly ConditionalWeakTable<SqliteConnection, Dictionary<string, SqliteCommand>> Cached = new();

    public static async Task<int> RunAsync(SqliteConnection c, SqliteTransaction tx, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] args) =>
        await Reused(c, tx, sql, args).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>The first column of the first row, or null when there is none.</summary>
    public static async Task<object?> ScalarAsync(SqliteConnection c, SqliteTransaction tx, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] args) =>
        await Reused(c, tx, sql, args).ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// A statement prepared once per connection and reused, parameters cleared and
    /// <paramref name="args"/> bound. For connections that live long and run one statement at a
    /// time: the group commit's writer, and the readers <see cref="SqliteDatabase.QueryAsync"/>
    /// keeps open. SQLite spent about as long compiling the API's statements as running them. The
    /// command belongs to the cache: the caller executes it and must not dispose it.
    /// </summary>
    public static SqliteCommand Reused(SqliteConnection c, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var commands = Cached.GetOrCreateValue(c);
        if (!commands.TryGetValue(sql, out var cmd))
        {
            if (commands.Count >= MaxCachedPerConnection)
            {
                foreach (var old in commands.Values)
                {
                    old.Dispose();
                }

                commands.Clear();
            }

            cmd = c.CreateCommand();
            cmd.CommandText = sql;
            commands[sql] = cmd;
        }

        cmd.Transaction = tx;
        cmd.Parameters.Clear();
        Bind(cmd, args);
        return cmd;
    }

    private static void Bind(SqliteCommand cmd, (string Name, object? Value)[] args)
    {
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
    }
}
