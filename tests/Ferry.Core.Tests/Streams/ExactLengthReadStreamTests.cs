using System.Security.Cryptography;
using Ferry.Core.Errors;
using Ferry.Core.Streams;

namespace Ferry.Core.Tests.Streams;

public sealed class ExactLengthReadStreamTests
{
    [Fact]
    public void Read_TricklingSource_FillsEveryBuffer()
    {
        var data = RandomNumberGenerator.GetBytes(1000);
        using var s = new ExactLengthReadStream(new TrickleStream(data, chunk: 7), data.Length, default);
        var buffer = new byte[256];

        var reads = new List<int>();
        int n;
        while ((n = s.Read(buffer, 0, buffer.Length)) > 0)
        {
            reads.Add(n);
        }

        Assert.Equal([256, 256, 256, 232], reads);
    }

    [Fact]
    public async Task Sha256Hex_AfterFullRead_IsHashOfTheBytes()
    {
        var data = RandomNumberGenerator.GetBytes(70_000);
        await using var s = new ExactLengthReadStream(new TrickleStream(data, chunk: 999), data.Length, default);

        await s.CopyToAsync(Stream.Null, 4096);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), s.Sha256Hex());
    }

    [Fact]
    public async Task Read_SourceEndsEarly_FailsSizeMismatchTransiently()
    {
        await using var s = new ExactLengthReadStream(new MemoryStream(new byte[10]), 11, default);

        var ex = await Assert.ThrowsAsync<FerryException>(() => s.CopyToAsync(Stream.Null));

        Assert.Equal((ErrorCodes.SizeMismatch, ErrorKind.Transient), (ex.Code, ex.Kind));
    }

    [Fact]
    public async Task EnsureSourceExhausted_SourceLongerThanDeclared_FailsSizeMismatch()
    {
        await using var s = new ExactLengthReadStream(new MemoryStream(new byte[12]), 10, default);
        await s.CopyToAsync(Stream.Null);

        var ex = await Assert.ThrowsAsync<FerryException>(() => s.EnsureSourceExhaustedAsync(default));

        Assert.Equal(ErrorCodes.SizeMismatch, ex.Code);
    }

    [Fact]
    public void Read_AfterCancellation_Throws()
    {
        using var cts = new CancellationTokenSource();
        using var s = new ExactLengthReadStream(new MemoryStream(new byte[100]), 100, cts.Token);
        cts.Cancel();

        Assert.Throws<OperationCanceledException>(() => s.Read(new byte[10], 0, 10));
    }

    [Fact]
    public async Task Read_InnerStreamThrows_IsWrappedAsSourceFailureAndUnwrapsToTheOriginal()
    {
        await using var s = new ExactLengthReadStream(new BrokenStream(), 100, default);

        var wrapped = await Assert.ThrowsAsync<SourceStreamException>(() => s.CopyToAsync(Stream.Null));
        var original = Assert.Throws<IOException>(() => SourceStreamException.RethrowIfSource(new InvalidOperationException("outer", wrapped)));

        Assert.Equal("source broke", original.Message);
    }

    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunk)]);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }

    private sealed class BrokenStream : MemoryStream
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            throw new IOException("source broke");
    }
}
