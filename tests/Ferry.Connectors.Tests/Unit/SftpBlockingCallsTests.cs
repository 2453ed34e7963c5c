using Ferry.Connectors.Sftp;

namespace Ferry.Connectors.Tests.Unit;

public sealed class SftpBlockingCallsTests
{
    // A safety net so a broken executor fails the test instead of hanging it; no test measures time.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Run_CallsOnAThreadOutsideThePool_AndReturnsItsResult()
    {
        var (onPool, name) = await SftpBlockingCalls.Run(() => (Thread.CurrentThread.IsThreadPoolThread, Thread.CurrentThread.Name), CancellationToken.None);

        Assert.False(onPool);
        Assert.Equal("Ferry SFTP call", name);
    }

    [Fact]
    public async Task Run_ContinuationsDoNotRunOnTheCallThreads()
    {
        await SftpBlockingCalls.Run(() => 1, CancellationToken.None);

        Assert.NotEqual("Ferry SFTP call", Thread.CurrentThread.Name);
    }

    [Fact]
    public async Task Run_TheCallsExceptionReachesTheCaller()
    {
        var ex = await Assert.ThrowsAsync<FileNotFoundException>(() =>
            SftpBlockingCalls.Run(() => throw new FileNotFoundException("gone"), CancellationToken.None));

        Assert.Equal("gone", ex.Message);
    }

    [Fact]
    public async Task Run_WithACancelledToken_NeverCalls()
    {
        var called = false;
        var task = SftpBlockingCalls.Run(() => called = true, new CancellationToken(canceled: true));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.False(called);
    }

    [Fact]
    public async Task Run_CancelledWhileRunning_IsAbandoned_TheCallerDoesNotWaitForIt()
    {
        using var release = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        using var cts = new CancellationTokenSource();
        var finished = false;
        var task = SftpBlockingCalls.Run(() =>
        {
            started.Set();
            release.Wait(Patience);
            finished = true;
            return 1;
        }, cts.Token);
        Assert.True(started.Wait(Patience));

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(Patience));
        Assert.False(Volatile.Read(ref finished));
        release.Set();
    }

    [Fact]
    public async Task Run_ACallThatHangs_DoesNotHoldUpTheNext()
    {
        using var release = new ManualResetEventSlim();
        var hung = SftpBlockingCalls.Run(() => release.Wait(Patience), CancellationToken.None);
        try
        {
            var next = SftpBlockingCalls.Run(() => 42, CancellationToken.None);

            Assert.Equal(42, await next.WaitAsync(Patience));
            Assert.False(hung.IsCompleted);
        }
        finally
        {
            release.Set();
        }

        Assert.True(await hung.WaitAsync(Patience));
    }

    [Fact]
    public async Task Run_ManyCallsThatWaitForEachOther_AllRunAtOnce()
    {
        // Sixteen calls that can only finish once all sixteen have started: a fixed-size set of
        // threads smaller than that would deadlock here.
        const int calls = 16;
        using var allStarted = new CountdownEvent(calls);
        var tasks = Enumerable.Range(0, calls).Select(i => SftpBlockingCalls.Run(() =>
        {
            allStarted.Signal();
            return allStarted.Wait(Patience) ? i : -1;
        }, CancellationToken.None)).ToList();

        var results = await Task.WhenAll(tasks).WaitAsync(Patience);

        Assert.Equal(Enumerable.Range(0, calls), results);
    }
}
