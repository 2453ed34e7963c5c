using Microsoft.Data.Sqlite;

namespace Ferry.Stores.Sqlite;

/// <summary>Statements with bound parameters, mostly inside a write transaction (see <see cref="SqliteDatabase.WriteAsync{T}"/>).</summary>
internal static class SqliteCommands
{
    public static async Task<int> RunAsync(SqliteConnection c, SqliteTransaction tx, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(c, tx, sql, args);
        return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The first column of the first row, or null when there is none.</summary>
    public static async Task<object?> ScalarAsync(SqliteConnection c, SqliteTransaction tx, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(c, tx, sql, args);
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A command with its parameters bound; inside <paramref name="tx"/> when one is given (writes), outside for reads.</summary>
    public static SqliteCommand Command(SqliteConnection c, SqliteTransaction? tx, string sql, (string Name, object? Value)[] args)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd;
    }
}
