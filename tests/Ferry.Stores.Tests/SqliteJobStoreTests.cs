using Ferry.Core.Jobs;
using Ferry.Stores.Sqlite;
using Ferry.Stores.Tests.Conformance;

namespace Ferry.Stores.Tests;

/// <summary>The conformance suite on one SQLite file opened through separate handles, as separate processes would.</summary>
public sealed class SqliteJobStoreTests : JobStoreConformanceTests, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ferry-sqlite-").FullName;

    protected override async Task<IJobStore> OpenStoreAsync() => await SqliteJobStore.OpenAsync(Path.Combine(_dir, "ferry.db"), default);

    [Fact]
    public async Task ABatchCount_IsReadFromAnIndexAlone_NotFromTheJobRows()
    {
        // Counted every 0.1 s while a client long-polls the batch: the job rows (with their
        // policies and checkpoints) are many times the pages of the index.
        await OpenStoreAsync();
        await using var db = await SqliteDatabase.OpenAsync(Path.Combine(_dir, "ferry.db"), default);

        var plan = await db.QueryAsync("EXPLAIN QUERY PLAN " + SqliteJobStore.CountBatchSql, r => r.GetString(3), default, ("$c", "acme"), ("$b", "b-1"));

        Assert.Contains("USING COVERING INDEX jobs_by_batch_status", string.Join(" | ", plan));
    }

    [Fact]
    public async Task ACustomersActiveJobs_AreReadFromTheirCounts_NotCountedJobByJob()
    {
        // Asked for at least once a second by every POST /v1/transfers (backpressure): counting
        // 270,000 queued jobs took 32 ms, and the requests that found the count stale each ran one.
        await OpenStoreAsync();
        await using var db = await SqliteDatabase.OpenAsync(Path.Combine(_dir, "ferry.db"), default);

        var plan = string.Join(" | ", await db.QueryAsync("EXPLAIN QUERY PLAN " + SqliteJobStore.CountActiveSql, r => r.GetString(3), default, ("$c", "acme")));

        Assert.Contains("SEARCH job_counts USING PRIMARY KEY (customer_id=?)", plan);
        Assert.DoesNotContain("jobs", plan.Replace("job_counts", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task APageOfJobsInOneStatus_IsReadInOrder_NotFoundAmongAllOrSorted(bool withCursor)
    {
        await OpenStoreAsync();
        await using var db = await SqliteDatabase.OpenAsync(Path.Combine(_dir, "ferry.db"), default);
        var query = new JobQuery("acme", Status: JobStatus.Failed, Cursor: withCursor ? JobCursor.Encode(1_700_000_000_000, "j-1") : null);
        var (where, args) = SqliteJobStore.ListWhere(query, 51);

        var plan = string.Join(" | ", await db.QueryAsync($"EXPLAIN QUERY PLAN SELECT * FROM jobs WHERE {where}", r => r.GetString(3), default, args));

        Assert.Contains("USING INDEX jobs_by_customer_status_time (customer_id=? AND status=?", plan);
        Assert.DoesNotContain("TEMP B-TREE", plan);
    }

    [Fact]
    public async Task TheDispatchersRead_StopsAtItsLimit_InsteadOfSortingEveryQueuedJob()
    {
        await OpenStoreAsync();
        await using var db = await SqliteDatabase.OpenAsync(Path.Combine(_dir, "ferry.db"), default);

        var plan = string.Join(" | ", await db.QueryAsync("EXPLAIN QUERY PLAN " + SqliteJobStore.FindRunnableSql, r => r.GetString(3), default,
            ("$now", 0L), ("$limit", 10)));

        Assert.Contains("SCAN jobs USING INDEX jobs_runnable", plan);
        Assert.DoesNotContain("TEMP B-TREE", plan);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
