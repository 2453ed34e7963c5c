using Ferry.Stores.Sqlite;
using Microsoft.Data.Sqlite;

namespace Ferry.Stores.Tests;

/// <summary>
/// The SQLite writer commits concurrent writes together; each must still stand or fall on its own.
/// A "blocker" write holds the writer so that the writes queued behind it share the next commit.
/// </summary>
public sealed class SqliteGroupCommitTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ferry-groupcommit-").FullName;
    private SqliteDatabase _db = null!;

    public async Task InitializeAsync() => _db = await SqliteDatabase.OpenAsync(Path.Combine(_dir, "ferry.db"), default);

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task AWriteThatThrows_IsUndoneAlone_TheOthersInItsCommitStand()
    {
        var (blocker, release) = HoldTheWriter();

        var first = InsertAsync("c1");
        var failing = _db.WriteAsync<int>(async (c, tx) =>
        {
            await InsertOnAsync(c, tx, "c2");
            throw new InvalidOperationException("this write changes its mind");
        }, default);
        var third = InsertAsync("c3");
        release.SetResult();

        await blocker;
        await first;
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        Assert.Equal("this write changes its mind", ex.Message);
        await third;
        Assert.Equal(["c1", "c3"], await CustomersAsync());
    }

    [Fact]
    public async Task AWriteThatChangesManyPages_IsUndoneAlone_FromTheJournalKeptInMemory()
    {
        var (blocker, release) = HoldTheWriter();
        var first = InsertAsync("c1");
        // Well past the 64 KiB at which SQLite would spill the savepoint's journal to a file.
        var failing = _db.WriteAsync<int>(async (c, tx) =>
        {
            for (var i = 0; i < 400; i++)
            {
                await using var cmd = c.CreateCommand();
                cmd.Transaction = tx;
                cmd.CommandText = "INSERT INTO customers (customer_id, name, created_at) VALUES ($id, $name, 0)";
                cmd.Parameters.AddWithValue("$id", $"big{i:D3}");
                cmd.Parameters.AddWithValue("$name", new string('n', 2000));
                await cmd.ExecuteNonQueryAsync();
            }

            throw new InvalidOperationException("too much after all");
        }, default);
        var third = InsertAsync("c3");
        var tempStore = _db.WriteAsync(async (c, tx) =>
        {
            await using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "PRAGMA temp_store";
            return (long)(await cmd.ExecuteScalarAsync())!;
        }, default);
        release.SetResult();

        await blocker;
        await first;
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        await third;
        Assert.Equal(2, await tempStore); // MEMORY
        Assert.Equal(["c1", "c3"], await CustomersAsync());
    }

    [Fact]
    public async Task AWriteCancelledWhileQueued_NeverRuns()
    {
        var (blocker, release) = HoldTheWriter();
        using var cancel = new CancellationTokenSource();
        var cancelled = _db.WriteAsync(async (c, tx) => { await InsertOnAsync(c, tx, "never"); return 0; }, cancel.Token);
        await cancel.CancelAsync();
        release.SetResult();

        await blocker;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Empty(await CustomersAsync());
    }

    [Fact]
    public async Task ConcurrentWrites_AllLand_AndEachIsReadableOnceItsTaskCompletes()
    {
        var writes = Enumerable.Range(0, 300).Select(async i =>
        {
            var id = $"c{i:D3}";
            await InsertAsync(id);
            // Completion means committed: a separate connection sees the row at once.
            await using var c = await _db.ConnectAsync(default);
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT COUNT(*) FROM customers WHERE customer_id = $id";
            cmd.Parameters.AddWithValue("$id", id);
            return (long)(await cmd.ExecuteScalarAsync())!;
        }).ToList();

        var seen = await Task.WhenAll(writes);
        Assert.All(seen, n => Assert.Equal(1, n));
        Assert.Equal(300, (await CustomersAsync()).Count);
    }

    /// <summary>A write that holds the writer until released, so the writes queued behind it share the next commit.</summary>
    private (Task Blocker, TaskCompletionSource Release) HoldTheWriter()
    {
        var release = new TaskCompletionSource();
        return (_db.WriteAsync(async (_, _) => { await release.Task; return 0; }, default), release);
    }

    private Task<int> InsertAsync(string id) =>
        _db.ExecuteAsync("INSERT INTO customers (customer_id, name, created_at) VALUES ($id, 'test', 0)", default, ("$id", id));

    private static async Task InsertOnAsync(SqliteConnection c, SqliteTransaction tx, string id)
    {
        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO customers (customer_id, name, created_at) VALUES ($id, 'test', 0)";
        cmd.Parameters.AddWithValue("$id", id);
        await cmd.ExecuteNonQueryAsync();
    }

    private async Task<List<string>> CustomersAsync() =>
        await _db.QueryAsync("SELECT customer_id FROM customers ORDER BY customer_id", r => r.GetString(0), default);
}
