using Ferry.Core.Jobs;
using Ferry.Stores.Sqlite;
using Ferry.Stores.Tests.Conformance;

namespace Ferry.Stores.Tests;

/// <summary>The conformance suite on one SQLite file opened through separate handles, as separate processes would.</summary>
public sealed class SqliteJobStoreTests : JobStoreConformanceTests, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ferry-sqlite-").FullName;

    protected override async Task<IJobStore> OpenStoreAsync() => await SqliteJobStore.OpenAsync(Path.Combine(_dir, "ferry.db"), default);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
