using Ferry.Connectors.Sftp;
using Renci.SshNet.Common;

namespace Ferry.Connectors.Tests.Sftp;

public sealed class SftpWritesInFlightTests
{
    private const int WriteLength = 255 * 1024;
    private static readonly Func<Exception?> Healthy = () => null;

    [Theory]
    [InlineData(2u * 1024 * 1024, WriteLength, 7)] // OpenSSH's window, Ferry's writes to OpenSSH
    [InlineData(2u * 1024 * 1024, 32 * 1024, 63)] // one channel packet per write (servers without limits@openssh.com)
    [InlineData(64u * 1024, WriteLength, 2)] // a window smaller than one write: it bounds them itself
    [InlineData(64u * 1024 * 1024, 32 * 1024, 63)]
    public void TheLimit_IsOneWriteFewerThanTheWindowHolds(uint window, int writeLength, int expected) =>
        Assert.Equal(expected, SftpWritesInFlight.LimitFor(window, writeLength));

    [Fact]
    public void AWindowThatCannotBeRead_LeavesTheWritesUnlimited() =>
        Assert.Equal(int.MaxValue, SftpWritesInFlight.LimitFor(null, WriteLength));

    [Fact]
    public async Task AfterARefusedWrite_LaterWritesTheServerTook_AreNotAcknowledged()
    {
        var acknowledged = new List<long>();
        var writes = new SftpWritesInFlight(acknowledged.Add, limit: 7);
        for (var i = 0; i < 3; i++)
        {
            writes.Sending(Healthy, Timeout.InfiniteTimeSpan, default);
        }

        writes.Answered(WriteLength, null);
        writes.Answered(2 * WriteLength, new SftpPathNotFoundException("refused")); // no bytes there now
        writes.Answered(3 * WriteLength, null); // taken, but after a hole
        writes.AllSent(3 * WriteLength);

        Assert.Equal([WriteLength], acknowledged);
        await Assert.ThrowsAsync<SftpPathNotFoundException>(() => writes.Result.Task);
    }

    [Fact]
    public async Task TheSender_WaitsAtTheLimit_UntilHalfOfItIsAnswered()
    {
        var writes = new SftpWritesInFlight(null, limit: 4);
        for (var i = 0; i < 4; i++)
        {
            writes.Sending(Healthy, Timeout.InfiniteTimeSpan, default);
        }

        var fifth = Task.Run(() => writes.Sending(Healthy, Timeout.InfiniteTimeSpan, default));
        await Task.Delay(200);
        Assert.False(fifth.IsCompleted, "the sender went past the limit");

        writes.Answered(1, null); // three unanswered: still more than half
        await Task.Delay(200);
        Assert.False(fifth.IsCompleted, "the sender resumed before half the limit was answered");

        writes.Answered(2, null);
        await fifth.WaitAsync(TimeSpan.FromSeconds(10));
        writes.Answered(3, null);
        writes.Answered(4, null);
        writes.AllSent(5);
        Assert.False(writes.Result.Task.IsCompleted, "the fifth write is unanswered");
        writes.Answered(5, null);
        Assert.Equal(5, await writes.Result.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task ARefusedWrite_WakesTheWaitingSender_AndFailsTheFile()
    {
        var writes = new SftpWritesInFlight(null, limit: 2);
        writes.Sending(Healthy, Timeout.InfiniteTimeSpan, default);
        writes.Sending(Healthy, Timeout.InfiniteTimeSpan, default);
        var third = Task.Run(() => writes.Sending(Healthy, Timeout.InfiniteTimeSpan, default));
        await Task.Delay(200);
        Assert.False(third.IsCompleted);

        writes.Answered(1, new SftpPermissionDeniedException("Permission denied"));

        await third.WaitAsync(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<SftpPermissionDeniedException>(() => writes.Result.Task);
    }

    [Fact]
    public async Task ASessionThatFails_FailsTheWaitingSender()
    {
        var writes = new SftpWritesInFlight(null, limit: 2);
        Exception? failure = null;
        writes.Sending(() => failure, Timeout.InfiniteTimeSpan, default);
        writes.Sending(() => failure, Timeout.InfiniteTimeSpan, default);
        var third = Task.Run(() => writes.Sending(() => failure, Timeout.InfiniteTimeSpan, default));

        failure = new SshConnectionException("Connection was closed by the server.");

        var thrown = await Assert.ThrowsAsync<SshConnectionException>(() => third.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Same(failure, thrown);
    }

    [Fact]
    public async Task NoAnswerWithinTheTimeout_FailsTheWaitingSender()
    {
        var writes = new SftpWritesInFlight(null, limit: 2);
        writes.Sending(Healthy, TimeSpan.FromSeconds(1), default);
        writes.Sending(Healthy, TimeSpan.FromSeconds(1), default);

        var third = Task.Run(() => writes.Sending(Healthy, TimeSpan.FromSeconds(1), default));

        await Assert.ThrowsAsync<SshOperationTimeoutException>(() => third.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Cancelling_StopsTheWaitingSender()
    {
        var writes = new SftpWritesInFlight(null, limit: 2);
        using var cancel = new CancellationTokenSource();
        writes.Sending(Healthy, Timeout.InfiniteTimeSpan, cancel.Token);
        writes.Sending(Healthy, Timeout.InfiniteTimeSpan, cancel.Token);
        var third = Task.Run(() => writes.Sending(Healthy, Timeout.InfiniteTimeSpan, cancel.Token));

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => third.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
