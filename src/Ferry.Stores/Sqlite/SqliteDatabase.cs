using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Ferry.Stores.Sqlite;

/// <summary>
/// The embedded database file shared by the SQLite stores: one connection string, the schema
/// created once, reads on connections kept open with their prepared statements (or a pooled
/// connection per read), and every write through one group-committing writer
/// (<see cref="SqliteGroupCommit"/>).
/// </summary>
public sealed class SqliteDatabase : IAsyncDisposable
{
    /// <summary>Open readers kept between queries; more run at once only while the load needs them.</summary>
    private const int MaxIdleReaders = 16;

    private readonly string _connectionString;
    private readonly SqliteGroupCommit _writer;
    private readonly ConcurrentBag<SqliteConnection> _readers = [];
    private volatile bool _disposed;

    private SqliteDatabase(string connectionString)
    {
        _connectionString = connectionString;
        _writer = new SqliteGroupCommit(connectionString);
    }

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/> in WAL mode with Ferry's schema.</summary>
    public static async Task<SqliteDatabase> OpenAsync(string path, CancellationToken cancellationToken)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 };
        var database = new SqliteDatabase(builder.ToString());
        await using var c = await database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = SqliteSchema.Create;
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return database;
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
    }
}
