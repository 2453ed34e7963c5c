using Microsoft.Data.Sqlite;

namespace Ferry.Stores.Sqlite;

/// <summary>
/// Copies committed pages from the write-ahead log into the database file, on a connection and a
/// thread of its own, every <see cref="Interval"/>.
/// </summary>
/// <remarks>
/// SQLite does this by itself inside the commit that takes the log past 1,000 pages: that commit
/// (and every write queued behind it in <see cref="SqliteGroupCommit"/>) then waits for a thousand
/// page copies and an fsync of the database file, a latency spike every few seconds under load.
/// The writer turns that off (<c>wal_autocheckpoint = 0</c>) and this does it instead. A PASSIVE
/// checkpoint waits for no one: it copies what no reader still needs and the writer goes on
/// appending meanwhile; the log starts over once a checkpoint has caught up with it.
/// </remarks>
internal sealed class SqliteCheckpointer : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private readonly string _connectionString;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public SqliteCheckpointer(string connectionString, TimeSpan? interval = null)
    {
        _connectionString = connectionString;
        _loop = Task.Run(() => RunAsync(interval ?? Interval));
    }

    private async Task RunAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        SqliteConnection? c = null;
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    if (c is null)
                    {
                        c = new SqliteConnection(_connectionString);
                        await c.OpenAsync(_stop.Token).ConfigureAwait(false);
                    }

                    await using var cmd = c.CreateCommand();
                    cmd.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
                    await cmd.ExecuteNonQueryAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (SqliteException)
                {
                    // Busy or failing now: the log keeps the pages, and the next tick tries again.
                    if (c is not null)
                    {
                        await c.DisposeAsync().ConfigureAwait(false);
                        c = null;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        finally
        {
            if (c is not null)
            {
                await c.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
