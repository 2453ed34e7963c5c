using Ferry.Core.Schedules;

namespace Ferry.Core.Tests;

public sealed class ScheduleTimingAndTemplateTests
{
    [Fact]
    public void Cron_IsReadInTheScheduleTimeZone()
    {
        // 02:00 in Paris on 2026-01-15 is 01:00 UTC (winter time).
        var trigger = new ScheduleTrigger { Cron = "0 2 * * *", TimeZone = "Europe/Paris" };
        var next = ScheduleTiming.Next(trigger, new DateTimeOffset(2026, 1, 15, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2026, 1, 15, 1, 0, 0, TimeSpan.Zero), next);
    }

    [Fact]
    public void SixFieldCron_HasSeconds()
    {
        var next = ScheduleTiming.Next(new ScheduleTrigger { Cron = "*/10 * * * * *" }, new DateTimeOffset(2026, 1, 1, 0, 0, 3, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 10, TimeSpan.Zero), next);
    }

    [Fact]
    public void AfterDowntime_TheNextRunIsComputedFromNow_SoMissedTicksCollapseIntoOne()
    {
        var hourly = new ScheduleTrigger { Cron = "0 * * * *" };
        var backAfterADay = new DateTimeOffset(2026, 3, 2, 10, 30, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 11, 0, 0, TimeSpan.Zero), ScheduleTiming.Next(hourly, backAfterADay));
        var interval = new ScheduleTrigger { Interval = TimeSpan.FromMinutes(5) };
        Assert.Equal(backAfterADay.AddMinutes(5), ScheduleTiming.Next(interval, backAfterADay));
    }

    [Theory]
    [InlineData("in/{name}", "a/b/report.csv", "in/report.csv")]
    [InlineData("in/", "a/b/report.csv", "in/a/b/report.csv")]
    [InlineData("{date:yyyy/MM/dd}/{stem}.{ext}", "x/report.csv", "2026/02/03/report.csv")]
    [InlineData("archive/{path}", "report", "archive/report")]
    public void Templates_RenderFromTheFile(string template, string relative, string expected) =>
        Assert.Equal(expected, PathTemplate.Render(template, relative, new DateTimeOffset(2026, 2, 3, 23, 30, 0, TimeSpan.Zero), TimeZoneInfo.Utc));

    [Fact]
    public void TemplateDates_UseTheScheduleTimeZone() =>
        // 23:30 UTC on Feb 3rd is already Feb 4th in Tokyo.
        Assert.Equal("2026-02-04/r.csv", PathTemplate.Render("{date:yyyy-MM-dd}/{name}", "r.csv",
            new DateTimeOffset(2026, 2, 3, 23, 30, 0, TimeSpan.Zero), ScheduleTiming.FindTimeZone("Asia/Tokyo")));

    [Theory]
    [InlineData("in/{nmae}", "unknown placeholder")]
    [InlineData("in/{date}", "needs a format")]
    [InlineData("in/{name", "never closed")]
    [InlineData("", "is required")]
    public void BadTemplates_SayWhy(string template, string why) => Assert.Contains(why, PathTemplate.Check(template));

    [Fact]
    public void AGoodTemplate_Passes() => Assert.Null(PathTemplate.Check("in/{date:yyyy/MM}/{name}"));
}
