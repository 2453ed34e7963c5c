using Ferry.Core;
using Microsoft.Extensions.Time.Testing;

namespace Ferry.Core.Tests;

public sealed class IdsTests
{
    [Fact]
    public void Sequential_SortsByCreationTime_AndStaysUnguessableWithinAMillisecond()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        var earlier = Ids.Sequential("job_", clock);
        var sameMillisecond = Ids.Sequential("job_", clock);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var later = Ids.Sequential("job_", clock);

        Assert.True(string.CompareOrdinal(earlier, later) < 0, $"{earlier} should sort before {later}");
        Assert.True(string.CompareOrdinal(sameMillisecond, later) < 0);
        Assert.NotEqual(earlier, sameMillisecond);
        Assert.Equal(earlier[..16], sameMillisecond[..16]);
        Assert.Matches("^job_[0-9a-f]{32}$", earlier);
    }
}
