using Ferry.Stores.Sqlite;

namespace Ferry.Stores.Tests;

/// <summary>
/// Endpoint concurrency slots (max_concurrency) on the SQLite file. Jobs take them with their claim
/// (<see cref="SqliteJobStore.ClaimAsync"/>, covered by the job store's conformance tests); here the
/// taking itself, in a write of its own.
/// </summary>
public sealed class SqliteConcurrencySlotsTests : IAsyncLifetime
{
    private const string Resource = "endpoint:ep_a";
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Expiry = T0.AddMinutes(1);
    private readonly TempDatabase _file = new("slots");
    private SqliteConcurrencySlots _slots = null!;

    public async Task InitializeAsync()
    {
        await _file.InitializeAsync();
        _slots = new SqliteConcurrencySlots(_file.Db);
    }

    public Task DisposeAsync() => _file.DisposeAsync();

    private Task<int?> Acquire(string holder, int limit = 2, DateTimeOffset? now = null, DateTimeOffset? expiresAt = null) =>
        _file.Db.WriteAsync((c, tx) => SqliteConcurrencySlots.TakeAsync(c, tx, Resource, limit, holder, now ?? T0, expiresAt ?? Expiry, default), default);

    [Fact]
    public async Task SlotsUpToTheLimit_ThenNone()
    {
        Assert.Equal(0, await Acquire("job_a"));
        Assert.Equal(1, await Acquire("job_b"));
        Assert.Null(await Acquire("job_c"));
        Assert.Equal(2, await _slots.CountHeldAsync(Resource, T0, default));
    }

    [Fact]
    public async Task AHolderAskingAgain_KeepsItsSlot_AndItsExpiryMovesOn()
    {
        Assert.Equal(0, await Acquire("job_a"));

        Assert.Equal(0, await Acquire("job_a", expiresAt: T0.AddMinutes(5)));

        Assert.Equal(1, await _slots.CountHeldAsync(Resource, T0, default));
        Assert.Equal(1, await _slots.CountHeldAsync(Resource, T0.AddMinutes(2), default));
    }

    [Fact]
    public async Task AReleasedSlot_GoesToTheNextAsker()
    {
        var a = await Acquire("job_a");
        Assert.Equal(1, await Acquire("job_b"));

        await _slots.ReleaseAsync(Resource, a!.Value, "job_a", default);

        Assert.Equal(a, await Acquire("job_c"));
        Assert.Null(await Acquire("job_d"));
    }

    [Fact]
    public async Task OnlyItsHolder_CanReleaseOrRenewASlot()
    {
        var a = (await Acquire("job_a"))!.Value;

        await _slots.ReleaseAsync(Resource, a, "job_other", default);
        Assert.False(await _slots.RenewAsync(Resource, a, "job_other", Expiry.AddMinutes(1), default));

        Assert.Equal(1, await _slots.CountHeldAsync(Resource, T0, default));
        Assert.True(await _slots.RenewAsync(Resource, a, "job_a", Expiry.AddMinutes(1), default));
    }

    [Fact]
    public async Task AnExpiredSlot_IsTakenOver_AndItsFormerHolderCannotRenewIt()
    {
        Assert.Equal(0, await Acquire("job_a", limit: 1));
        Assert.Null(await Acquire("job_b", limit: 1, now: Expiry.AddSeconds(-1)));

        Assert.Equal(0, await Acquire("job_b", limit: 1, now: Expiry, expiresAt: Expiry.AddMinutes(1)));

        Assert.False(await _slots.RenewAsync(Resource, 0, "job_a", Expiry.AddMinutes(2), default));
    }

    [Fact]
    public async Task ManyConcurrentAskers_GetDistinctSlots_NoMoreThanTheLimit()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Acquire($"job_{i}", limit: 5)));

        var granted = results.Where(r => r is not null).Select(r => r!.Value).ToList();
        Assert.Equal([0, 1, 2, 3, 4], granted.Order());
        Assert.Equal(15, results.Count(r => r is null));
    }
}
