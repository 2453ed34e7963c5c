using Ferry.Connectors.S3;

namespace Ferry.Connectors.Tests.Unit;

public sealed class MultipartPlanTests
{
    private const long MiB = 1024 * 1024;
    private const long GiB = 1024 * MiB;

    [Theory]
    [InlineData(100 * MiB, 16 * MiB, 7)]
    [InlineData(30 * GiB, 16 * MiB, 1920)]
    [InlineData(1024 * GiB, 105 * MiB, 9987)]
    public void For_GrowsPartSizeSoAnySizeFitsInTenThousandParts(long length, long expectedPart, int expectedCount)
    {
        var plan = MultipartPlan.For(length, 16 * MiB, maxInFlight: 4, memoryBudget: 64 * MiB);

        Assert.Equal((expectedPart, expectedCount), (plan.PartSize, plan.PartCount));
        Assert.True(plan.PartCount <= MultipartPlan.MaxParts);
        Assert.True(plan.PartSize * plan.PartCount >= length);
    }

    [Fact]
    public void For_LargeParts_FewerInFlightToStayWithinBudgetButNeverBelowTwo()
    {
        Assert.Equal(4, MultipartPlan.For(30 * GiB, 16 * MiB, 4, 64 * MiB).PartsInFlight);
        Assert.Equal(2, MultipartPlan.For(1024 * GiB, 16 * MiB, 4, 64 * MiB).PartsInFlight);
    }

    [Fact]
    public void LengthOfPart_LastPartHoldsTheRemainder()
    {
        var plan = MultipartPlan.For(40 * MiB + 3, 16 * MiB, 4, 64 * MiB);

        Assert.Equal(3, plan.PartCount);
        Assert.Equal(16 * MiB, plan.LengthOfPart(1, 40 * MiB + 3));
        Assert.Equal(8 * MiB + 3, plan.LengthOfPart(3, 40 * MiB + 3));
    }

    [Fact]
    public void For_PartsAreWholeMebibytes_EvenForAnOddMinimum()
    {
        // Parts end where a fan-out kept its hash state (every MiB), so checkpoints need no hash of their own.
        Assert.Equal(6 * MiB, MultipartPlan.For(100 * MiB, (5 * MiB) + 1, 4, 64 * MiB).PartSize);
        Assert.Equal(0, MultipartPlan.For((50 * GiB) + 7, 8 * MiB, 4, 64 * MiB).PartSize % MiB);
    }

    [Fact]
    public void For_BeyondS3MaximumObjectSize_Refuses()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MultipartPlan.For(MultipartPlan.MaxObjectSize + 1, 16 * MiB, 4, 64 * MiB));
    }
}
