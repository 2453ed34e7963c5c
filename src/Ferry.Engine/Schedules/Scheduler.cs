using System.Collections.Concurrent;
using Ferry.Core.Schedules;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Engine.Schedules;

/// <summary>
/// Fires due schedules. Each tick is claimed in the store first (conditional on the due time
/// read), so of several processes sharing a store one runs it. The next due time is computed
/// from now: a server down across many ticks runs each schedule once when it is back.
/// </summary>
public sealed class Scheduler(IScheduleStore schedules, ScheduleRunner runner, ScheduleOptions options, ILogger<Scheduler> logger, TimeProvider? time = null)
    : BackgroundService
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, Task> _running = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await FireDueAsync(stoppingToken).ConfigureAwait(false);
                await Task.Delay(options.PollInterval, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Looking for due schedules failed; retrying");
                await Task.Delay(options.PollInterval, _time, CancellationToken.None).ConfigureAwait(false);
            }
        }

        // Runs only create jobs; let those in progress finish their writes.
        await Task.WhenAll(_running.Values).ConfigureAwait(false);
    }

    private async Task FireDueAsync(CancellationToken stoppingToken)
    {
        var free = options.MaxConcurrentRuns - _running.Count;
        if (free <= 0)
        {
            return;
        }

        var now = _time.GetUtcNow();
        foreach (var (schedule, state) in await schedules.FindDueAsync(now, free + _running.Count, stoppingToken).ConfigureAwait(false))
        {
            if (_running.Count >= options.MaxConcurrentRuns || _running.ContainsKey(schedule.ScheduleId) || state.NextRunAt is not { } due)
            {
                continue;
            }

            var next = ScheduleTiming.Next(schedule.Trigger, now);
            if (!await schedules.ClaimTickAsync(schedule.CustomerId, schedule.ScheduleId, due, next, now, stoppingToken).ConfigureAwait(false))
            {
                continue; // another process took this tick
            }

            if (now - due > TimeSpan.FromMinutes(1))
            {
                logger.LogInformation("Schedule {ScheduleId} was due at {Due:O}; running it once now to catch up", schedule.ScheduleId, due);
            }

            _running[schedule.ScheduleId] = Task.Run(async () =>
            {
                try
                {
                    await runner.RunAsync(schedule, RunCause.Tick, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    logger.LogError(ex, "Schedule {ScheduleId}: the run failed unexpectedly; the next tick tries again", schedule.ScheduleId);
                }
                catch (OperationCanceledException)
                {
                    // Shutting down: the run stops between steps; its jobs so far are kept.
                }
                finally
                {
                    _running.TryRemove(schedule.ScheduleId, out _);
                }
            }, CancellationToken.None);
        }
    }
}
