using Cronos;

namespace Ferry.Core.Schedules;

/// <summary>
/// When a schedule is due next. Computed from "now", never from the tick that was missed: a server
/// that was down across many ticks runs a schedule once when it comes back, not once per tick.
/// </summary>
public static class ScheduleTiming
{
    /// <summary>The first time strictly after <paramref name="after"/> the trigger fires; null when a cron never fires again.</summary>
    public static DateTimeOffset? Next(ScheduleTrigger trigger, DateTimeOffset after)
    {
        if (trigger.Interval is { } interval)
        {
            return after + interval;
        }

        var cron = ParseCron(trigger.Cron ?? throw new ArgumentException("a trigger needs a cron expression or an interval", nameof(trigger)));
        return cron.GetNextOccurrence(after, FindTimeZone(trigger.TimeZone));
    }

    /// <summary>Parses five-field (minutes) or six-field (seconds first) cron; throws <see cref="CronFormatException"/>.</summary>
    public static CronExpression ParseCron(string expression)
    {
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        return CronExpression.Parse(expression.Trim(), fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
    }

    /// <summary>The time zone by IANA id; throws <see cref="TimeZoneNotFoundException"/>.</summary>
    public static TimeZoneInfo FindTimeZone(string id) =>
        string.Equals(id, "UTC", StringComparison.OrdinalIgnoreCase) ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(id);
}
