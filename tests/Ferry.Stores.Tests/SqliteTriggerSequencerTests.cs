using Ferry.Stores.Sqlite;

namespace Ferry.Stores.Tests;

/// <summary>The newest event per object, kept to spot stale ones, and forgotten once the object has been quiet long enough.</summary>
public sealed class SqliteTriggerSequencerTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDatabase _file = new("sequencers");
    private SqliteTriggerStore _store = null!;

    public async Task InitializeAsync()
    {
        await _file.InitializeAsync();
        _store = new SqliteTriggerStore(_file.Db);
    }

    public Task DisposeAsync() => _file.DisposeAsync();

    [Fact]
    public async Task Prune_ForgetsObjectsWithNoEventSinceTheCutoff_OnlyThose()
    {
        Assert.True(await _store.AdvanceSequencerAsync("trg_1", "quiet.csv", "0000000000000000A0", T0, default));
        Assert.True(await _store.AdvanceSequencerAsync("trg_1", "busy.csv", "0000000000000000A0", T0, default));
        Assert.True(await _store.AdvanceSequencerAsync("trg_1", "busy.csv", "0000000000000000B0", T0.AddDays(2), default)); // a newer event moves it on

        Assert.Equal(1, await _store.PruneSequencersAsync(T0.AddDays(1), 100, default));
        Assert.Equal(0, await _store.PruneSequencersAsync(T0.AddDays(1), 100, default));

        // Forgotten: an older event is no longer recognised as stale (the intake then checks the object itself).
        Assert.True(await _store.AdvanceSequencerAsync("trg_1", "quiet.csv", "000000000000000090", T0.AddDays(3), default));
        Assert.False(await _store.AdvanceSequencerAsync("trg_1", "busy.csv", "0000000000000000A0", T0.AddDays(3), default));
    }

    [Fact]
    public async Task Prune_TakesTheQuietestFirst_NoMoreThanTheLimitAtATime()
    {
        foreach (var (key, days) in new[] { ("c", 3), ("a", 1), ("b", 2) })
        {
            await _store.AdvanceSequencerAsync("trg_1", key, "0000000000000000A0", T0.AddDays(days), default);
        }

        Assert.Equal(2, await _store.PruneSequencersAsync(T0.AddDays(10), 2, default));
        Assert.False(await _store.AdvanceSequencerAsync("trg_1", "c", "000000000000000090", T0.AddDays(11), default)); // the latest stays
        Assert.Equal(1, await _store.PruneSequencersAsync(T0.AddDays(10), 2, default));
    }
}
