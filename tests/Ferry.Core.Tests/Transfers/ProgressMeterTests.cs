using Ferry.Core.Transfers;

namespace Ferry.Core.Tests.Transfers;

public sealed class ProgressMeterTests
{
    [Fact]
    public void Add_ReportsAtMostOncePerIntervalWithRecentRate()
    {
        var time = new ManualTime();
        var reports = new List<TransferProgress>();
        var meter = new ProgressMeter(1000, reports.Add, time, TimeSpan.FromSeconds(1));

        meter.Add(100);
        time.Advance(TimeSpan.FromMilliseconds(500));
        meter.Add(100);
        time.Advance(TimeSpan.FromMilliseconds(600));
        meter.Add(100);

        var report = Assert.Single(reports);
        Assert.Equal(300, report.Bytes);
        Assert.Equal(1000, report.TotalBytes);
        Assert.Equal(300 / 1.1, report.BytesPerSecond, precision: 3);
        Assert.Equal(700 / (300 / 1.1), report.EstimatedRemaining!.Value.TotalSeconds, precision: 3);
    }

    [Fact]
    public void BeginStage_RestartsCountingUnderTheNewStageName()
    {
        var time = new ManualTime();
        var reports = new List<TransferProgress>();
        var meter = new ProgressMeter(50, reports.Add, time, TimeSpan.Zero);
        meter.Add(50);

        meter.BeginStage("deliver");
        time.Advance(TimeSpan.FromSeconds(1));
        meter.Add(20);

        Assert.Equal(("deliver", 20L), (reports[^1].Stage, reports[^1].Bytes));
    }

    [Fact]
    public void Complete_AlwaysReportsFinalBytes()
    {
        var reports = new List<TransferProgress>();
        var meter = new ProgressMeter(10, reports.Add, new ManualTime(), TimeSpan.FromHours(1));
        meter.Add(10);

        meter.Complete();

        Assert.Equal(10, Assert.Single(reports).Bytes);
    }

    private sealed class ManualTime : TimeProvider
    {
        private long _ticks = 1;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
