using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Ferry.Stores.Sqlite;

/// <summary>
/// This process's one writer to the database file, committing concurrent writes together.
/// </summary>
/// <remarks>
/// SQLite has one writer at a time and each commit waits for the disk (synchronous = FULL, so a
/// job acknowledged to a client survives a power cut). Writers that collide get SQLITE_BUSY, which
/// Microsoft.Data.Sqlite answers by sleeping 150 ms; and one fsync per write capped the API at
/// about 500 job creations a second. So writes queue here, and the writer runs whatever has queued
/// up (at most <see cref="MaxBatch"/>) in one transaction with one fsync — group commit. Each write
/// runs inside its own savepoint: one that throws is rolled back alone and its caller gets the
/// exception; the others commit. Callers learn their result only after the commit is durable.
/// Other processes on the same file meet SQLite's busy handler (busy_timeout), not each other's sleeps.
/// </remarks>
internal sealed class SqliteGroupCommit : IAsyncDisposable
{
    private const int MaxBatch = 256;
    private readonly string _connectionString;
    private readonly Channel<IPendingWrite> _queue = Channel.CreateUnbounded<IPendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private SqliteConnection? _connection;

    public SqliteGroupCommit(string connectionString)
    {
        _connectionString = connectionString;
        _writer = Task.Run(RunAsync);
    }

    public Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> write, CancellationToken cancellationToken)
    {
        var pending = new PendingWrite<T>(write, cancellationToken);
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(SqliteDatabase), "the database is closed");
        }

        return pending.Result;
    }

    private async Task RunAsync()
    {
        var batch = new List<IPendingWrite>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next))
            {
                if (!next.CancelIfRequested())
                {
                    batch.Add(next);
                }
            }

            if (batch.Count > 0)
            {
                await CommitAsync(batch).ConfigureAwait(false);
            }
        }
    }

    private async Task CommitAsync(List<IPendingWrite> batch)
    {
        var ran = new List<IPendingWrite>(batch.Count);
        try
        {
            var c = await ConnectionAsync().ConfigureAwait(false);
            await using var tx = c.BeginTransaction(deferred: false);
            foreach (var write in batch)
            {
                tx.Save("w");
                try
                {
                    await write.RunAsync(c, tx).ConfigureAwait(false);
                    tx.Release("w");
                    ran.Add(write);
                }
                catch (Exception ex)
                {
                    // This write alone is undone. (When SQLite itself gave up on the transaction —
                    // disk full, I/O error — the rollback throws and the whole batch fails below.)
                    tx.Rollback("w");
                    tx.Release("w");
                    write.Fail(ex);
                }
            }

            await tx.CommitAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Nothing of this batch is in the database; tell every writer still waiting.
            await ResetConnectionAsync().ConfigureAwait(false);
            foreach (var write in batch)
            {
                write.Fail(ex);
            }

            return;
        }

        foreach (var write in ran)
        {
            write.Complete();
        }
    }

    private async Task<SqliteConnection> ConnectionAsync()
    {
        if (_connection is null)
        {
            var c = new SqliteConnection(_connectionString);
            await c.OpenAsync().ConfigureAwait(false);
            await using var pragma = c.CreateCommand();
            // Another process holding the write lock: SQLite's own handler waits up to 30 s in small steps.
            // Each write's savepoint keeps the pages it changes in a sub-journal, which SQLite spills to a
            // temporary file past 64 KiB, as a group of jobs' writes does: ~28 small file writes per job on
            // the small-files benchmark, inside the transaction. In memory instead (10 % more files/s).
            // Checkpoints run beside the writer, not inside one of its commits (SqliteCheckpointer).
            pragma.CommandText = "PRAGMA busy_timeout = 30000; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 0;";
            await pragma.ExecuteNonQueryAsync().ConfigureAwait(false);
            _connection = c;
        }

        return _connection;
    }

    private async Task ResetConnectionAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        await ResetConnectionAsync().ConfigureAwait(false);
    }

    private interface IPendingWrite
    {
        bool CancelIfRequested();

        Task RunAsync(SqliteConnection c, SqliteTransaction tx);

        void Complete();

        void Fail(Exception ex);
    }

    private sealed class PendingWrite<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> write, CancellationToken cancellationToken) : IPendingWrite
    {
        private readonly TaskCompletionSource<T> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _value;

        public Task<T> Result => _result.Task;

        public bool CancelIfRequested() => cancellationToken.IsCancellationRequested && _result.TrySetCanceled(cancellationToken);

        public async Task RunAsync(SqliteConnection c, SqliteTransaction tx) => _value = await write(c, tx).ConfigureAwait(false);

        public void Complete() => _result.TrySetResult(_value!);

        public void Fail(Exception ex)
        {
            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                _result.TrySetCanceled(cancellationToken);
            }
            else
            {
                _result.TrySetException(ex);
            }
        }
    }
}
