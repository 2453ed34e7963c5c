using Microsoft.Data.Sqlite;

namespace Ferry.Stores.Sqlite;

/// <summary>
/// The embedded database file shared by the SQLite stores (jobs, secrets, and those to come):
/// one connection string, the schema created once, a pooled connection per operation.
/// </summary>
public sealed class SqliteDatabase
{
    private readonly string _connectionString;

    private SqliteDatabase(string connectionString) => _connectionString = connectionString;

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/> in WAL mode with Ferry's schema.</summary>
    public static async Task<SqliteDatabase> OpenAsync(string path, CancellationToken cancellationToken)
    {
        // DefaultTimeout is also SQLite's busy timeout: writers from other processes wait, not fail.
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 };
        var database = new SqliteDatabase(builder.ToString());
        await using var c = await database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = SqliteSchema.Create;
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return database;
    }

    public async Task<SqliteConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var c = new SqliteConnection(_connectionString);
        await c.OpenAsync(cancellationToken).ConfigureAwait(false);
        return c;
    }

    /// <summary>Runs one statement; returns the rows it changed.</summary>
    public async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] args)
    {
        await using var c = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, sql, args);
        return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs one query and maps every row.</summary>
    public async Task<List<T>> QueryAsync<T>(string sql, Func<SqliteDataReader, T> map, CancellationToken cancellationToken, params (string Name, object? Value)[] args)
    {
        await using var c = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, sql, args);
        var rows = new List<T>();
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(map(r));
        }

        return rows;
    }

    private static SqliteCommand Command(SqliteConnection c, string sql, (string Name, object? Value)[] args)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd;
    }
}
