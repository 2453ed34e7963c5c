using Ferry.Stores.Sqlite;

namespace Ferry.Stores.Tests;

/// <summary>
/// The log is copied into the database file beside the writer (<see cref="SqliteCheckpointer"/>),
/// never inside one of its commits.
/// </summary>
public sealed class SqliteCheckpointerTests : IAsyncLifetime
{
    private readonly TempDatabase _file = new("checkpoint");

    private SqliteDatabase Db => _file.Db;

    private string FilePath => _file.FilePath;

    public Task InitializeAsync() => _file.InitializeAsync();

    public Task DisposeAsync() => _file.DisposeAsync();

    [Fact]
    public async Task TheWriterNeverCheckpoints_TheCheckpointerCopiesTheLogIntoTheFile()
    {
        Assert.Equal(0L, await Db.WriteAsync((c, tx) => SqliteCommands.ScalarAsync(c, tx, "PRAGMA wal_autocheckpoint;", default), default));
        await Db.ExecuteAsync("CREATE TABLE scratch (x BLOB);", default);
        await Task.Delay(SqliteCheckpointer.Interval * 3); // the schema's pages are in the file by now
        var before = new FileInfo(FilePath).Length;

        // About 600 pages: under SQLite's own threshold (1,000), so only the checkpointer copies them.
        for (var i = 0; i < 600; i++)
        {
            await Db.ExecuteAsync("INSERT INTO scratch (x) VALUES (randomblob(4000));", default);
        }

        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (new FileInfo(FilePath).Length < before + (2 * 1024 * 1024))
        {
            await Task.Delay(50, patience.Token);
        }
    }
}
