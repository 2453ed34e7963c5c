using Ferry.Core.Connectors;
using Ferry.Core.Jobs;
using Ferry.Stores.Sqlite;

namespace Ferry.Stores.Tests;

public sealed class SqliteLeftoverStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDatabase _file = new("leftovers");
    private SqliteLeftoverStore _store = null!;

    public async Task InitializeAsync()
    {
        await _file.InitializeAsync();
        _store = new SqliteLeftoverStore(_file.Db);
    }

    public Task DisposeAsync() => _file.DisposeAsync();

    [Fact]
    public async Task ALeftover_RoundTrips_AndAJobHasOne()
    {
        var write = new WriteCheckpoint("out/big.bin", 16 << 20, "state", "upload-1");
        await _store.AddAsync(NewLeftover("lft_1", "job_1", write: write, due: T0), default);
        await _store.AddAsync(NewLeftover("lft_2", "job_1", partPath: "out/other.part", due: T0), default);

        var kept = await _store.GetForJobAsync("cus_a", "job_1", default);
        Assert.NotNull(kept);
        Assert.Equal("lft_1", kept.LeftoverId);
        Assert.Equal(write, kept.Write);
        Assert.Equal("out/a.csv.job_1.part", kept.PartPath);
        Assert.Equal(T0, kept.NextAttemptAt);
        Assert.Null(await _store.GetForJobAsync("cus_b", "job_1", default));
    }

    [Fact]
    public async Task OnlyLeftoversDueAreFound_OldestDueFirst()
    {
        await _store.AddAsync(NewLeftover("lft_late", "job_late", due: T0.AddMinutes(5)), default);
        await _store.AddAsync(NewLeftover("lft_b", "job_b", due: T0.AddMinutes(1)), default);
        await _store.AddAsync(NewLeftover("lft_a", "job_a", due: T0), default);

        var due = await _store.FindDueAsync(T0.AddMinutes(1), 10, default);

        Assert.Equal(["lft_a", "lft_b"], due.Select(l => l.LeftoverId));
    }

    [Fact]
    public async Task ATry_IsClaimedByExactlyOneOfManyProcesses_AndOnlyTheClaimantSettlesIt()
    {
        var leftover = NewLeftover("lft_1", "job_1", due: T0);
        await _store.AddAsync(leftover, default);
        var others = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => _file.OpenAnotherAsync()));
        var claimed = leftover with { Attempts = 1, NextAttemptAt = T0.AddMinutes(2) };

        var wins = await Task.WhenAll(others.Select(db => new SqliteLeftoverStore(db).UpdateAsync(claimed, T0, default)));

        Assert.Single(wins, won => won);
        Assert.Empty(await _store.FindDueAsync(T0.AddMinutes(1), 10, default));
        // A process that read it before the claim can neither reschedule nor delete it.
        Assert.False(await _store.UpdateAsync(leftover with { NextAttemptAt = T0.AddHours(1) }, T0, default));
        Assert.False(await _store.DeleteAsync("lft_1", T0, default));
        Assert.True(await _store.DeleteAsync("lft_1", T0.AddMinutes(2), default));
        Assert.Null(await _store.GetForJobAsync("cus_a", "job_1", default));
    }

    private static Leftover NewLeftover(string id, string jobId, DateTimeOffset due, WriteCheckpoint? write = null, string? partPath = null) => new()
    {
        LeftoverId = id,
        CustomerId = "cus_a",
        JobId = jobId,
        EndpointId = "ep_dst",
        PartPath = partPath ?? $"out/a.csv.{jobId}.part",
        Write = write,
        NextAttemptAt = due,
        CreatedAt = T0,
        LastError = "connection refused",
    };
}
