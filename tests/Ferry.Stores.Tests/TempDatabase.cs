using Ferry.Stores.Sqlite;
using Microsoft.Data.Sqlite;

namespace Ferry.Stores.Tests;

/// <summary>
/// A database file in a temp directory of its own, for one test: <see cref="Db"/> is this
/// process's handle; <see cref="OpenAnotherAsync"/> opens the same file the way a second Ferry
/// process would. Disposing closes every handle and deletes the directory.
/// </summary>
public sealed class TempDatabase : IAsyncLifetime
{
    private readonly string _dir;
    private readonly List<SqliteDatabase> _others = [];

    public TempDatabase(string name) => _dir = Directory.CreateTempSubdirectory($"ferry-{name}-").FullName;

    public string FilePath => Path.Combine(_dir, "ferry.db");

    public SqliteDatabase Db { get; private set; } = null!;

    public async Task InitializeAsync() => Db = await SqliteDatabase.OpenAsync(FilePath, default);

    public async Task<SqliteDatabase> OpenAnotherAsync()
    {
        var other = await SqliteDatabase.OpenAsync(FilePath, default);
        _others.Add(other);
        return other;
    }

    public async Task DisposeAsync()
    {
        foreach (var other in _others)
        {
            await other.DisposeAsync();
        }

        await Db.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
