using Ferry.Core.Jobs;
using Ferry.Core.Tenancy;
using Ferry.Stores.Sqlite;
using Microsoft.Data.Sqlite;

namespace Ferry.Stores.Tests;

/// <summary>A database an older Ferry wrote is brought up to date when opened, keeping its data.</summary>
public sealed class SqliteSchemaMigrationTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("ferry-migrate-").FullName;

    private string FilePath => Path.Combine(_dir, "ferry.db");

    [Fact]
    public async Task ADatabaseFromBeforeVersions_GetsTheNewColumn_AndKeepsItsJobs()
    {
        var old = Job("j-old");
        var store = await SqliteJobStore.OpenAsync(FilePath, default);
        await store.CreateAsync(old, JobStateMachine.Created(old, "api"), default);
        // What a Ferry of 2026-11-29 left: no trace_parent column, user_version 0.
        Execute(BeforeVersion3 + "ALTER TABLE jobs DROP COLUMN trace_parent; PRAGMA user_version = 0;");

        var reopened = await SqliteJobStore.OpenAsync(FilePath, default);
        var traced = Job("j-new") with { TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };
        await reopened.CreateAsync(traced, JobStateMachine.Created(traced, "api"), default);

        Assert.Equal(SqliteDatabase.SchemaVersion, Convert.ToInt32(Scalar("PRAGMA user_version;")));
        Assert.Equal("in/j-old.csv", (await reopened.GetAsync("acme", "j-old", default))!.SourcePath);
        Assert.Equal(traced.TraceParent, (await reopened.GetAsync("acme", "j-new", default))!.TraceParent);
    }

    [Fact]
    public async Task AVersion1Database_StartsItsJobCountsFromTheJobsItHolds()
    {
        var store = await SqliteJobStore.OpenAsync(FilePath, default);
        foreach (var id in new[] { "j-1", "j-2", "j-3" })
        {
            var job = Job(id) with { FlowType = id == "j-3" ? "s3-to-s3" : "sftp-to-s3" };
            await store.CreateAsync(job, JobStateMachine.Created(job, "api"), default);
        }

        // What a Ferry of session 14 left: jobs, no counts.
        Execute(BeforeVersion3 + "DROP TRIGGER job_counts_insert; DROP TRIGGER job_counts_update; DROP TRIGGER job_counts_delete; DROP TABLE job_counts; PRAGMA user_version = 1;");
        var reopened = await SqliteJobStore.OpenAsync(FilePath, default);
        var fourth = Job("j-4");
        await reopened.CreateAsync(fourth, JobStateMachine.Created(fourth, "api"), default);

        var counts = (await reopened.CountByStatusAsync(default)).Select(c => (c.Status, c.FlowType, c.Count)).Order().ToList();
        Assert.Equal([(JobStatus.Received, "s3-to-s3", 1L), (JobStatus.Received, "sftp-to-s3", 3L)], counts);
    }

    [Fact]
    public async Task AVersion2Database_KeepsItsSequencers_AsSeenLongAgo()
    {
        var db = await SqliteDatabase.OpenAsync(FilePath, default);
        await new SqliteTriggerStore(db).AdvanceSequencerAsync("trg_1", "in/a.csv", "0055AED6DCD90281E5", T0, default);
        await db.DisposeAsync();
        // What a Ferry of session 16 left: sequencers without the time of their last event.
        Execute(BeforeVersion3 + "PRAGMA user_version = 2;");

        await using var reopened = await SqliteDatabase.OpenAsync(FilePath, default);
        var triggers = new SqliteTriggerStore(reopened);

        Assert.Equal(SqliteDatabase.SchemaVersion, Convert.ToInt32(Scalar("PRAGMA user_version;")));
        Assert.False(await triggers.AdvanceSequencerAsync("trg_1", "in/a.csv", "0055AED6DCD90281E4", T0, default)); // still known: older is stale
        Assert.Equal(1, await triggers.PruneSequencersAsync(T0.AddYears(-50), 100, default));
    }

    [Fact]
    public async Task AVersion3Database_KeepsItsApiKeys_WithTheFullScopeTheyHad()
    {
        var db = await SqliteDatabase.OpenAsync(FilePath, default);
        var (old, _) = ApiKey.Issue("acme", "ci", T0);
        await new SqliteTenantStore(db).CreateApiKeyAsync(old, default);
        await db.DisposeAsync();
        // What a Ferry of session 17 left: keys without a scope, all of them able to do everything.
        Execute(BeforeVersion4 + "PRAGMA user_version = 3;");

        await using var reopened = await SqliteDatabase.OpenAsync(FilePath, default);
        var tenants = new SqliteTenantStore(reopened);
        var (reader, _) = ApiKey.Issue("acme", "dashboard", T0.AddMinutes(1), ApiKeyScope.Read); // listed after the old key
        await tenants.CreateApiKeyAsync(reader, default);

        Assert.Equal(SqliteDatabase.SchemaVersion, Convert.ToInt32(Scalar("PRAGMA user_version;")));
        Assert.Equal(ApiKeyScope.Full, (await tenants.FindApiKeyAsync(old.TokenHash, default))!.Scope);
        Assert.Equal(ApiKeyScope.Read, (await tenants.FindApiKeyAsync(reader.TokenHash, default))!.Scope);
        Assert.Equal([("ci", ApiKeyScope.Full), ("dashboard", ApiKeyScope.Read)], (await tenants.ListApiKeysAsync("acme", default)).Select(k => (k.Name, k.Scope)));
    }

    [Fact]
    public async Task AVersion4Database_KeepsItsApiKeys_WithoutAnExpiry()
    {
        var db = await SqliteDatabase.OpenAsync(FilePath, default);
        var (old, _) = ApiKey.Issue("acme", "ci", T0, ApiKeyScope.Transfer);
        await new SqliteTenantStore(db).CreateApiKeyAsync(old, default);
        await db.DisposeAsync();
        // What a Ferry of session 18's morning left: scoped keys that never expire.
        Execute(BeforeVersion5 + "PRAGMA user_version = 4;");

        await using var reopened = await SqliteDatabase.OpenAsync(FilePath, default);
        var tenants = new SqliteTenantStore(reopened);
        var (temporary, _) = ApiKey.Issue("acme", "partner", T0, ApiKeyScope.Read, expiresAt: T0.AddDays(30));
        await tenants.CreateApiKeyAsync(temporary, default);

        Assert.Equal(SqliteDatabase.SchemaVersion, Convert.ToInt32(Scalar("PRAGMA user_version;")));
        Assert.Equal((ApiKeyScope.Transfer, (DateTimeOffset?)null), (await tenants.FindApiKeyAsync(old.TokenHash, default)) is { } o ? (o.Scope, o.ExpiresAt) : default);
        Assert.Equal(T0.AddDays(30), (await tenants.FindApiKeyAsync(temporary.TokenHash, default))!.ExpiresAt);
    }

    [Fact]
    public async Task AVersion5Database_CountsItsJobsPerCustomer_FromTheJobsItHolds()
    {
        var store = await SqliteJobStore.OpenAsync(FilePath, default);
        foreach (var (id, customer) in new[] { ("j-1", "acme"), ("j-2", "acme"), ("j-3", "globex") })
        {
            var job = Job(id) with { CustomerId = customer };
            await store.CreateAsync(job, JobStateMachine.Created(job, "api"), default);
        }

        // What a Ferry of session 20 left: jobs counted by status and flow, not by customer.
        Execute(BeforeVersion6 + "PRAGMA user_version = 5;");
        var reopened = await SqliteJobStore.OpenAsync(FilePath, default);
        var fourth = Job("j-4") with { CustomerId = "globex" };
        await reopened.CreateAsync(fourth, JobStateMachine.Created(fourth, "api"), default);

        Assert.Equal(SqliteDatabase.SchemaVersion, Convert.ToInt32(Scalar("PRAGMA user_version;")));
        Assert.Equal((2, 2), (await reopened.CountActiveAsync("acme", default), await reopened.CountActiveAsync("globex", default)));
        Assert.Equal([(JobStatus.Received, "sftp-to-s3", 4L)], (await reopened.CountByStatusAsync(default)).Select(c => (c.Status, c.FlowType, c.Count)));
    }

    [Fact]
    public async Task TheBatchIndexAnOlderFerryMade_IsReplacedByTheCoveringOne()
    {
        var store = await SqliteJobStore.OpenAsync(FilePath, default);
        var job = Job("j-1") with { BatchId = "b-1" };
        await store.CreateAsync(job, JobStateMachine.Created(job, "api"), default);
        // What a Ferry of session 19 left (and makes again if it opens the file after this one).
        Execute("DROP INDEX jobs_by_batch_status; CREATE INDEX jobs_by_batch ON jobs (customer_id, batch_id) WHERE batch_id IS NOT NULL;");

        var reopened = await SqliteJobStore.OpenAsync(FilePath, default);

        Assert.Equal("jobs_by_batch_status", Scalar("SELECT group_concat(name) FROM sqlite_master WHERE type = 'index' AND name LIKE 'jobs_by_batch%';"));
        Assert.Equal([(JobStatus.Received, 1L)], (await reopened.CountBatchAsync("acme", "b-1", default)).Select(c => (c.Status, c.Count)));
    }

    [Fact]
    public async Task TheStatusIndexAnOlderFerryMade_IsReplacedByTheOrderedOne()
    {
        var store = await SqliteJobStore.OpenAsync(FilePath, default);
        var job = Job("j-1");
        await store.CreateAsync(job, JobStateMachine.Created(job, "api"), default);
        // What a Ferry of session 20 left (and makes again if it opens the file after this one).
        Execute("DROP INDEX jobs_by_customer_status_time; CREATE INDEX jobs_by_customer_status ON jobs (customer_id, status);");

        var reopened = await SqliteJobStore.OpenAsync(FilePath, default);

        Assert.Equal("jobs_by_customer_status_time", Scalar("SELECT group_concat(name) FROM sqlite_master WHERE type = 'index' AND name LIKE 'jobs_by_customer_status%';"));
        Assert.Equal(["j-1"], (await reopened.ListAsync(new JobQuery("acme", Status: JobStatus.Received), default)).Jobs.Select(j => j.JobId));
    }

    [Fact]
    public async Task AKeyWithAScopeThisFerryDoesNotKnow_ReadsAsReadOnly()
    {
        var db = await SqliteDatabase.OpenAsync(FilePath, default);
        var (key, _) = ApiKey.Issue("acme", "future", T0, ApiKeyScope.Full);
        await new SqliteTenantStore(db).CreateApiKeyAsync(key, default);
        await db.DisposeAsync();
        Execute("UPDATE api_keys SET scope = 'approve';"); // as a later Ferry might write, sharing the file

        await using var reopened = await SqliteDatabase.OpenAsync(FilePath, default);

        Assert.Equal(ApiKeyScope.Read, (await new SqliteTenantStore(reopened).FindApiKeyAsync(key.TokenHash, default))!.Scope);
    }

    [Fact]
    public async Task ProcessesOpeningAnOldDatabaseAtOnce_UpgradeItOnce()
    {
        await SqliteJobStore.OpenAsync(FilePath, default);
        Execute(BeforeVersion3 + "ALTER TABLE jobs DROP COLUMN trace_parent; PRAGMA user_version = 0;");

        // Another process holds the write lock while two Ferry processes start: both wait for it.
        // Each must read the version only once it has the lock, or the second adds the column again.
        await using var holder = new SqliteConnection($"Data Source={FilePath}");
        holder.Open();
        var hold = holder.BeginTransaction(deferred: false);
        var opens = Enumerable.Range(0, 2).Select(_ => Task.Run(() => SqliteJobStore.OpenAsync(FilePath, default))).ToList();
        await Task.Delay(500);
        hold.Rollback();
        await Task.WhenAll(opens);

        Assert.Equal(SqliteDatabase.SchemaVersion, Convert.ToInt32(Scalar("PRAGMA user_version;")));
    }

    [Fact]
    public async Task ADatabaseFromANewerFerry_IsRefusedNamingItsVersion()
    {
        await SqliteJobStore.OpenAsync(FilePath, default);
        Execute($"PRAGMA user_version = {SqliteDatabase.SchemaVersion + 1};");

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => SqliteJobStore.OpenAsync(FilePath, default));

        Assert.Contains($"schema version {SqliteDatabase.SchemaVersion + 1}", refused.Message);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Undoes what version 6 changed, so a test's database is what a Ferry of version 5 wrote.</summary>
    private const string BeforeVersion6 = """
        DROP TRIGGER job_counts_insert; DROP TRIGGER job_counts_update; DROP TRIGGER job_counts_delete; DROP TABLE job_counts;
        CREATE TABLE job_counts (status TEXT NOT NULL, flow_type TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (status, flow_type));
        INSERT INTO job_counts (status, flow_type, n) SELECT status, flow_type, COUNT(*) FROM jobs GROUP BY status, flow_type;
        CREATE TRIGGER job_counts_insert AFTER INSERT ON jobs BEGIN
            INSERT INTO job_counts (status, flow_type, n) VALUES (NEW.status, NEW.flow_type, 1) ON CONFLICT (status, flow_type) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER job_counts_update AFTER UPDATE OF status ON jobs WHEN OLD.status <> NEW.status BEGIN
            UPDATE job_counts SET n = n - 1 WHERE status = OLD.status AND flow_type = OLD.flow_type;
            INSERT INTO job_counts (status, flow_type, n) VALUES (NEW.status, NEW.flow_type, 1) ON CONFLICT (status, flow_type) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER job_counts_delete AFTER DELETE ON jobs BEGIN
            UPDATE job_counts SET n = n - 1 WHERE status = OLD.status AND flow_type = OLD.flow_type;
        END;

        """;

    /// <summary>Undoes what versions 5 and 6 added, so a test's database is what a Ferry of version 4 wrote.</summary>
    private const string BeforeVersion5 = BeforeVersion6 + "ALTER TABLE api_keys DROP COLUMN expires_at; ";

    /// <summary>Undoes what versions 4 to 6 added, so a test's database is what a Ferry of version 3 wrote.</summary>
    private const string BeforeVersion4 = BeforeVersion5 + "ALTER TABLE api_keys DROP COLUMN scope; ";

    /// <summary>Undoes what versions 3 to 6 added, so a test's database is what an older Ferry wrote.</summary>
    private const string BeforeVersion3 = BeforeVersion4 + "DROP INDEX trigger_sequencers_seen; ALTER TABLE trigger_sequencers DROP COLUMN seen_at; ";

    private static TransferJob Job(string id) => new()
    {
        JobId = id,
        CustomerId = "acme",
        FlowType = "sftp-to-s3",
        SourceEndpointId = "ep-src",
        SourcePath = $"in/{id}.csv",
        TargetEndpointId = "ep-dst",
        TargetPath = $"out/{id}.csv",
        IdempotencyKey = id,
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    private void Execute(string sql)
    {
        using var c = new SqliteConnection($"Data Source={FilePath}");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private object? Scalar(string sql)
    {
        using var c = new SqliteConnection($"Data Source={FilePath}");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }
}
