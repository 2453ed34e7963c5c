using Microsoft.Data.Sqlite;

namespace Ferry.Stores.Tests;

/// <summary>The readers <c>SqliteDatabase.QueryAsync</c> keeps open between queries.</summary>
public sealed class SqliteDatabaseReadersTests : IAsyncLifetime
{
    private readonly TempDatabase _temp = new("readers");

    public Task InitializeAsync() => _temp.InitializeAsync();

    public Task DisposeAsync() => _temp.DisposeAsync();

    [Fact]
    public async Task KeptReaders_SeeEveryCommit_AndHoldNoSnapshotThatWouldStopACheckpoint()
    {
        var db = _temp.Db;
        await db.ExecuteAsync("CREATE TABLE t (v INTEGER)", default);
        for (var i = 1; i <= 20; i++)
        {
            await db.ExecuteAsync("INSERT INTO t (v) VALUES ($v)", default, ("$v", i));
            // Several queries at once: more than one reader is opened, and each is kept.
            var counts = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => db.QueryAsync("SELECT COUNT(*) FROM t", r => r.GetInt32(0), default)));
            Assert.All(counts, n => Assert.Equal([i], n));
        }

        // A reader that kept a read transaction open would make the checkpoint report "busy" and
        // leave the write-ahead log growing for as long as the server runs.
        await using var c = new SqliteConnection($"Data Source={_temp.FilePath};Pooling=False");
        await c.OpenAsync();
        await using var checkpoint = c.CreateCommand();
        checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        await using var r = await checkpoint.ExecuteReaderAsync();
        Assert.True(await r.ReadAsync());
        Assert.Equal((0, 0), (r.GetInt32(0), r.GetInt32(1)));
    }
}
