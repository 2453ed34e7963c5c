using System.Security.Cryptography;
using Ferry.Core.Streams;

namespace Ferry.Core.Tests.Streams;

public sealed class ReadAheadTests
{
    private static ArraySegment<byte>[] Ring(int buffers, int length) =>
        [.. Enumerable.Range(0, buffers).Select(_ => new ArraySegment<byte>(new byte[length + 16], 8, length))];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4096)]
    [InlineData(3 * 4096)]
    [InlineData(100_000)]
    public void Take_YieldsTheSourceInOrder_InWholeBuffers(int size)
    {
        var data = RandomNumberGenerator.GetBytes(size);
        var ring = Ring(3, 4096);
        var readAhead = new ReadAhead(new TrickleStream(data), ring, default);

        var taken = new List<int>();
        var copy = new MemoryStream();
        while (readAhead.Take() is { Length: > 0 } filled)
        {
            taken.Add(filled.Length);
            copy.Write(ring[filled.Index].AsSpan(0, filled.Length));
            readAhead.Release();
        }

        // The source hands out at most 1,000 bytes a read; every buffer but the last is still full.
        Assert.Equal(data, copy.ToArray());
        Assert.All(taken.SkipLast(1), length => Assert.Equal(4096, length));
        Assert.Equal(size / 4096 + (size % 4096 > 0 ? 1 : 0), taken.Count);
        Assert.True(readAhead.Stop(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task TheReader_HoldsNoMoreThanTheRing_UntilBuffersAreReleased()
    {
        var source = new TrickleStream(new byte[1_000_000]);
        var readAhead = new ReadAhead(source, Ring(3, 4096), default);

        Assert.Equal(0, readAhead.Take().Index);
        Assert.Equal(1, readAhead.Take().Index);
        Assert.Equal(2, readAhead.Take().Index);
        await Task.Delay(200); // an unbounded reader would have read the whole megabyte by now
        Assert.Equal(3 * 4096, source.Position);

        readAhead.Release();
        Assert.Equal(new ReadAhead.Filled(0, 4096), readAhead.Take());
        Assert.Equal(4 * 4096, source.Position);
        Assert.True(readAhead.Stop(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void ASourceThatFails_GivesWhatItReadFirst_ThenItsException()
    {
        var readAhead = new ReadAhead(new FailingStream(bytesBeforeFailing: 5000), Ring(4, 4096), default);

        Assert.Equal(new ReadAhead.Filled(0, 4096), readAhead.Take());
        readAhead.Release();
        var failure = Assert.Throws<IOException>(() => readAhead.Take());
        Assert.Equal("source lost after 5000 bytes", failure.Message);
        Assert.True(readAhead.Stop(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Cancelling_StopsTheReader_AndTakeThrows()
    {
        using var cancel = new CancellationTokenSource();
        var readAhead = new ReadAhead(new HangingStream(), Ring(2, 4096), cancel.Token);

        cancel.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => readAhead.Take());
        Assert.True(readAhead.Stop(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Stop_ReportsAReaderThatStillHoldsABuffer()
    {
        var stuck = new UncancellableStream();
        var readAhead = new ReadAhead(stuck, Ring(2, 4096), default);
        Assert.True(stuck.Reading.Wait(TimeSpan.FromSeconds(10)));

        Assert.False(readAhead.Stop(TimeSpan.FromMilliseconds(100)));

        stuck.Finish();
    }

    /// <summary>Hands out at most 1,000 bytes per read, as a network stream might.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 1000)], cancellationToken);
    }

    private sealed class FailingStream(int bytesBeforeFailing) : MemoryStream(new byte[bytesBeforeFailing])
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadAsync(buffer, cancellationToken);
            return read > 0 ? read : throw new IOException($"source lost after {bytesBeforeFailing} bytes");
        }
    }

    private sealed class HangingStream : MemoryStream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }
    }

    /// <summary>A read that ignores cancellation until the test lets it end.</summary>
    private sealed class UncancellableStream : MemoryStream
    {
        private readonly TaskCompletionSource<int> _end = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ManualResetEventSlim Reading { get; } = new();

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Reading.Set();
            return new ValueTask<int>(_end.Task);
        }

        public void Finish() => _end.TrySetResult(0);
    }
}
