using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Ferry.Stores.Sqlite;

/// <summary>
/// The embedded database file shared by the SQLite stores: one connection string, the schema
/// created once, reads on connections kept open with their prepared statements (or a pooled
/// connection per read), every write through one group-committing writer
/// (<see cref="SqliteGroupCommit"/>), and the log copied into the file off the writer's path
/// (<see cref="SqliteCheckpointer"/>).
/// </summary>
public sealed class SqliteDatabase : IAsyncDisposable
{
    /// <summary>Open readers kept between queries; more run at once only while the load needs them.</summary>
    private const int MaxIdleReaders = 16;

    private readonly string _connectionString;
    private readonly SqliteGroupCommit _writer;
    private readonly SqliteCheckpointer _checkpointer;
    private readonly ConcurrentBag<SqliteConnection> _readers = [];
    private volatile bool _disposed;

    private SqliteDatabase(string connectionString)
    {
        _connectionString = connectionString;
        _writer = new SqliteGroupCommit(connectionString);
        _checkpointer = new SqliteCheckpointer(connectionString);
    }

    /// <summary>The schema version this Ferry writes (SQLite's user_version); see <see cref="SqliteSchema.Version"/>.</summary>
    public const int SchemaVersion = SqliteSchema.Version;

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/> in WAL mode with Ferry's schema.</summary>
    public static async Task<SqliteDatabase> OpenAsync(string path, CancellationToken cancellationToken)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 };
        var database = new SqliteDatabase(builder.ToString());
        try
        {
            await using var c = await database.ConnectAsync(cancellationToken).ConfigureAwait(false);
            await MigrateAsync(c, path, cancellationToken).ConfigureAwait(false);
            return database;
        }
        catch
        {
            // A refused database (written by a newer Ferry) must not leave the writer's loop running.
            await database.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Brings the database to <see cref="SqliteSchema.Version"/>: a new one gets the newest tables;
    /// one an older Ferry made gets the changes since its version. All in one write transaction
    /// that reads the version first, so processes opening the file at once upgrade it once. A
    /// database from a newer Ferry is refused rather than misread.
    /// </summary>
    private static async Task MigrateAsync(SqliteConnection c, string path, CancellationToken cancellationToken)
    {
        await ScalarAsync(c, null, "PRAGMA journal_mode = WAL;", cancellationToken).ConfigureAwait(false); // not allowed inside a transaction
        await using var tx = c.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: the write lock before the version is read
        var version = Convert.ToInt32(await ScalarAsync(c, tx, "PRAGMA user_version;", cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        if (version > SqliteSchema.Version)
        {
            throw new InvalidOperationException(
                $"{path} was written by a newer Ferry (schema version {version}; this one knows up to {SqliteSchema.Version}). Run that version, or restore a backup.");
        }

        var isNew = Convert.ToInt64(await ScalarAsync(c, tx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'jobs';", cancellationToken)
            .ConfigureAwait(false), CultureInfo.InvariantCulture) == 0;
        var steps = isNew ? Enumerable.Empty<string>() : SqliteSchema.Migrations.Skip(version);
        foreach (var sql in steps.Append(SqliteSchema.Create).Append($"PRAGMA user_version = {SqliteSchema.Version};"))
        {
            await using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = sql;
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false); // every statement of a script
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection c, SqliteTransaction? tx, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A connection for reading (WAL: readers never wait for the writer). Writes go through <see cref="WriteAsync"/>.</summary>
    public async Task<SqliteConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var c = new SqliteConnection(_connectionString);
        await c.OpenAsync(cancellationToken).ConfigureAwait(false);
        return c;
    }

    /// <summary>
    /// Runs <paramref name="write"/> inside a transaction it shares with other writes of this
    /// process; completes once that transaction is durably committed. Commands must use the
    /// transaction given; the write must not commit or roll it back itself.
    /// </summary>
    public Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> write, CancellationToken cancellationToken) =>
        _writer.WriteAsync(write, cancellationToken);

    /// <summary>Runs one writing statement; returns the rows it changed.</summary>
    public Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] args) =>
        WriteAsync((c, tx) => SqliteCommands.RunAsync(c, tx, sql, cancellationToken, args), cancellationToken);

    /// <summary>
    /// Runs one query and maps every row, on a reader kept open with its prepared statements
    /// (outside a transaction each statement reads the latest commit, so nothing is stale).
    /// </summary>
    public async Task<List<T>> QueryAsync<T>(string sql, Func<SqliteDataReader, T> map, CancellationToken cancellationToken, params (string Name, object? Value)[] args)
    {
        var c = _readers.TryTake(out var idle) ? idle : await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var reusable = false;
        try
        {
            var rows = new List<T>();
            await using (var r = await SqliteCommands.Reused(c, null, sql, args).ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows.Add(map(r));
                }
            }

            reusable = true;
            return rows;
        }
        finally
        {
            if (reusable && !_disposed && _readers.Count < MaxIdleReaders)
            {
                _readers.Add(c);
            }
            else
            {
                await c.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        while (_readers.TryTake(out var c))
        {
            await c.DisposeAsync().ConfigureAwait(false);
        }

        await _writer.DisposeAsync().ConfigureAwait(false);
        await _checkpointer.DisposeAsync().ConfigureAwait(false);
    }
}
