using Ferry.Core.Audit;
using Ferry.Stores.Sqlite;

namespace Ferry.Stores.Tests;

public sealed class SqliteAuditLogTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDatabase _file = new("audit");
    private SqliteAuditLog _log = null!;

    public async Task InitializeAsync()
    {
        await _file.InitializeAsync();
        _log = new SqliteAuditLog(_file.Db);
    }

    public Task DisposeAsync() => _file.DisposeAsync();

    private Task AppendAsync(string id, DateTimeOffset at, string customer = "cus_a") =>
        _log.AppendAsync(new AuditEntry(id, customer, at, "key_1", "job.succeeded", "job", "job_" + id), default);

    private async Task<List<string>> IdsAsync(string customer = "cus_a") =>
        (await _log.ListAsync(new AuditQuery(customer), default)).Entries.Select(e => e.AuditId).ToList();

    [Fact]
    public async Task Prune_DeletesEntriesMadeBeforeTheCutoff_OfEveryCustomer_OldestFirstInLimitedRounds()
    {
        await AppendAsync("a1", T0);
        await AppendAsync("b1", T0.AddMinutes(1), "cus_b");
        await AppendAsync("a2", T0.AddHours(1));
        await AppendAsync("a3", T0.AddHours(2));
        await AppendAsync("a4", T0.AddDays(2));

        Assert.Equal(2, await _log.PruneAsync(T0.AddDays(1), 2, default));
        Assert.Equal(["a4", "a3", "a2"], await IdsAsync());
        Assert.Empty(await IdsAsync("cus_b"));
        Assert.Equal(2, await _log.PruneAsync(T0.AddDays(1), 2, default));
        Assert.Equal(0, await _log.PruneAsync(T0.AddDays(1), 2, default));
        Assert.Equal(["a4"], await IdsAsync());
    }
}
