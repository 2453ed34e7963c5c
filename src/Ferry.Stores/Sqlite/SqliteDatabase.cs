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
}
