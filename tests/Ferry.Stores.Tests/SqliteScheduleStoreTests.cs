using Ferry.Core.Schedules;
using Ferry.Stores.Sqlite;

namespace Ferry.Stores.Tests;

public sealed class SqliteScheduleStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDatabase _file = new("schedules");
    private SqliteScheduleStore _store = null!;

    public async Task InitializeAsync()
    {
        await _file.InitializeAsync();
        _store = new SqliteScheduleStore(_file.Db);
    }

    public Task DisposeAsync() => _file.DisposeAsync();

    [Fact]
    public async Task ATick_IsClaimedByExactlyOneOfManyProcesses()
    {
        var s = NewSchedule("sch_tick");
        Assert.True(await _store.CreateAsync(s, T0, default));

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => _store.ClaimTickAsync("cus_a", s.ScheduleId, T0, T0.AddMinutes(5), T0.AddSeconds(1), default)));

        Assert.Single(claims, won => won);
        var (_, state) = (await _store.GetAsync("cus_a", s.ScheduleId, default))!.Value;
        Assert.Equal(T0.AddMinutes(5), state.NextRunAt);
        Assert.Equal(T0.AddSeconds(1), state.LastRunAt);
        Assert.Empty(await _store.FindDueAsync(T0.AddMinutes(1), 10, default));
        Assert.Single(await _store.FindDueAsync(T0.AddMinutes(5), 10, default));
    }

    [Fact]
    public async Task APausedSchedule_IsNeverDue_AndSettingsChangesNeedTheVersionRead()
    {
        var s = NewSchedule("sch_pause");
        await _store.CreateAsync(s, T0, default);
        var paused = s with { Status = ScheduleStatus.Paused, Version = 1 };

        Assert.True(await _store.UpdateAsync(paused, expectedVersion: 0, nextRunAt: null, default));
        Assert.False(await _store.UpdateAsync(paused with { Name = "late" }, expectedVersion: 0, nextRunAt: null, default));
        Assert.Empty(await _store.FindDueAsync(T0.AddDays(1), 10, default));
        Assert.False(await _store.ClaimTickAsync("cus_a", s.ScheduleId, T0, T0.AddMinutes(5), T0, default));
        Assert.Null(await _store.GetAsync("cus_other", s.ScheduleId, default));
    }

    [Fact]
    public async Task Runs_KeepTheNewestOnes_WithTheirDecisions()
    {
        var s = NewSchedule("sch_runs");
        await _store.CreateAsync(s, T0, default);
        for (var i = 0; i < 5; i++)
        {
            var run = new ScheduleRun { RunId = $"bat_{i:D4}", ScheduleId = s.ScheduleId, CustomerId = "cus_a", StartedAt = T0.AddMinutes(i) };
            await _store.AppendRunAsync(run, [new FileDecision(run.RunId, "a.csv", false, DecisionReasons.TooNew, $"run {i}", null, run.StartedAt)], keepRuns: 3, default);
        }

        var runs = await _store.ListRunsAsync("cus_a", s.ScheduleId, 10, default);
        Assert.Equal(["bat_0004", "bat_0003", "bat_0002"], runs.Select(r => r.RunId));
        var decisions = await _store.ListDecisionsAsync("cus_a", s.ScheduleId, "a.csv", 10, default);
        Assert.Equal(["run 4", "run 3", "run 2"], decisions.Select(d => d.Detail));
        Assert.Empty(await _store.ListDecisionsAsync("cus_other", s.ScheduleId, null, 10, default));

        Assert.True(await _store.DeleteAsync("cus_a", s.ScheduleId, expectedVersion: null, default));
        Assert.Empty(await _store.ListRunsAsync("cus_a", s.ScheduleId, 10, default));
    }

    private static Schedule NewSchedule(string id) => new()
    {
        ScheduleId = id,
        CustomerId = "cus_a",
        Name = "pull",
        SourceEndpointId = "ep_src",
        SourcePath = "out",
        TargetEndpointId = "ep_dst",
        TargetPath = "in/{name}",
        PolicyJson = "{}",
        Trigger = new ScheduleTrigger { Interval = TimeSpan.FromMinutes(5) },
        CreatedAt = T0,
        UpdatedAt = T0,
    };
}
