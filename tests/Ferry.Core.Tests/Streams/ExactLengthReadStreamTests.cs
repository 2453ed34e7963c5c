using System.Security.Cryptography;
using Ferry.Core.Connectors;
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

    [Fact]
    public async Task ForWrite_HashedSource_ReportsTheSourcesHashOnceItsEndIsRead()
    {
        var data = RandomNumberGenerator.GetBytes(70_000);
        var source = new HashedStream(data, "0123abcd"); // a hash that is not the data's: which one comes back tells who hashed
        await using var s = ExactLengthReadStream.ForWrite(source, data.Length, WriteOptions.Default, default);

        await s.CopyToAsync(Stream.Null, 4096);
        Assert.Throws<InvalidOperationException>(() => s.Sha256Hex()); // every byte read, but not yet the end
        await s.EnsureSourceExhaustedAsync(default);

        Assert.Equal("0123abcd", s.Sha256Hex());
        Assert.Throws<InvalidOperationException>(() => s.SaveSha256State());
    }

    [Fact]
    public async Task ForWrite_HashedSource_WriteKeepingCheckpoints_TakesTheHashStatesTheSourceKept()
    {
        var data = RandomNumberGenerator.GetBytes(70_000);
        var options = new WriteOptions(Checkpointed: _ => { });
        await using var s = ExactLengthReadStream.ForWrite(new HashedStream(data, "0123abcd"), data.Length, options, default);

        await s.ReadExactlyAsync(new byte[1000]);
        Assert.Equal("state-at-1000", s.SaveSha256State());
        await s.ReadExactlyAsync(new byte[1]);
        Assert.Throws<InvalidOperationException>(() => s.SaveSha256State()); // the source kept none at 1001
        await s.CopyToAsync(Stream.Null, 4096);
        await s.EnsureSourceExhaustedAsync(default);

        Assert.Equal("0123abcd", s.Sha256Hex());
    }

    [Fact]
    public async Task ForWrite_ResumeFrom_StartsAtTheCheckpointWithItsHashState()
    {
        var data = RandomNumberGenerator.GetBytes(70_000);
        string state;
        await using (var first = ExactLengthReadStream.ForWrite(new MemoryStream(data), data.Length, WriteOptions.Default, default))
        {
            await first.ReadExactlyAsync(new byte[30_000]);
            state = first.SaveSha256State();
        }

        var resume = new WriteOptions(ResumeFrom: new WriteCheckpoint("f", 30_000, state, Store: ""));
        await using var s = ExactLengthReadStream.ForWrite(new MemoryStream(data[30_000..]), data.Length, resume, default);
        await s.CopyToAsync(Stream.Null, 4096);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), s.Sha256Hex());
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

    /// <summary>A source that claims to have hashed its bytes (to <paramref name="sha256"/>) once a read returned its end, and kept a state at byte 1000.</summary>
    private sealed class HashedStream(byte[] data, string sha256) : MemoryStream(data), IHashedSource
    {
        private bool _ended;

        public string? Sha256Hex => _ended ? sha256 : null;

        public string? Sha256StateAt(long position) => position == 1000 ? "state-at-1000" : null;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = base.Read(buffer.Span);
            _ended |= n == 0;
            return ValueTask.FromResult(n);
        }
    }
}
