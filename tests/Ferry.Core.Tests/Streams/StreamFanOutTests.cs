using System.Security.Cryptography;
using Ferry.Core.Streams;

namespace Ferry.Core.Tests.Streams;

public sealed class StreamFanOutTests
{
    [Fact]
    public async Task Pump_TwoReaders_EachGetsEveryByte()
    {
        var data = RandomNumberGenerator.GetBytes(3_000_000);
        var fan = StreamFanOut.Create(new MemoryStream(data), readers: 2, chunk: 64 * 1024, pauseThreshold: 256 * 1024);

        var reads = fan.Readers.Select(async r => { var m = new MemoryStream(); await r.CopyToAsync(m); return m.ToArray(); }).ToList();
        await fan.PumpAsync(default);

        Assert.Equal(data, await reads[0]);
        Assert.Equal(data, await reads[1]);
    }

    [Fact]
    public async Task Pump_EachReaderKnowsTheSourcesSha256_OnceItHasReadTheEnd()
    {
        var data = RandomNumberGenerator.GetBytes(1_000_000);
        var fan = StreamFanOut.Create(new MemoryStream(data), readers: 2, chunk: 64 * 1024, pauseThreshold: 256 * 1024);
        var first = (IHashedSource)fan.Readers[0];
        var second = (IHashedSource)fan.Readers[1];

        var whole = Task.Run(async () => await fan.Readers[0].CopyToAsync(Stream.Null));
        var part = Task.Run(async () => await fan.Readers[1].ReadExactlyAsync(new byte[data.Length]));
        await fan.PumpAsync(default);
        await Task.WhenAll(whole, part);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), first.Sha256Hex);
        Assert.Null(second.Sha256Hex); // every byte, but its end not read yet
        Assert.Equal(0, await fan.Readers[1].ReadAsync(new byte[1]));
        Assert.Equal(first.Sha256Hex, second.Sha256Hex);
    }

    [Fact]
    public async Task Pump_KeepsItsHashStateAtEveryMebibyte_ThatAReaderCanContinueFrom()
    {
        const int MiB = 1024 * 1024;
        var data = RandomNumberGenerator.GetBytes((3 * MiB) + 12_345);
        var fan = StreamFanOut.Create(new MemoryStream(data), readers: 2, chunk: 100_000, pauseThreshold: 256 * 1024);
        var reader = (IHashedSource)fan.Readers[0];
        using var empty = Sha256Hasher.Create();
        Assert.Equal(empty.SaveState(), reader.Sha256StateAt(0)); // known before the pump starts

        var pump = fan.PumpAsync(default);
        var other = fan.Readers[1].CopyToAsync(Stream.Null);
        await fan.Readers[0].ReadExactlyAsync(new byte[2 * MiB]);
        var state = reader.Sha256StateAt(2 * MiB);
        Assert.Null(reader.Sha256StateAt((2 * MiB) + 1));
        await fan.Readers[0].CopyToAsync(Stream.Null);
        await Task.WhenAll(pump, other);

        // The state is the hash of exactly the first 2 MiB: continued with the rest, it gives the file's.
        Assert.NotNull(state);
        using var resumed = Sha256Hasher.Restore(state, 2 * MiB);
        resumed.Append(data.AsSpan(2 * MiB));
        Assert.Equal(SHA256.HashData(data), resumed.Finish());
    }

    [Fact]
    public async Task Pump_OneReaderGivesUp_TheOtherStillGetsEverything()
    {
        var data = RandomNumberGenerator.GetBytes(2_000_000);
        var fan = StreamFanOut.Create(new MemoryStream(data), readers: 2, chunk: 64 * 1024, pauseThreshold: 128 * 1024);

        var quitter = Task.Run(async () =>
        {
            var buffer = new byte[1000];
            await fan.Readers[0].ReadExactlyAsync(buffer);
            await fan.Readers[0].DisposeAsync();
        });
        var keeper = Task.Run(async () => { var m = new MemoryStream(); await fan.Readers[1].CopyToAsync(m); return m.ToArray(); });
        await fan.PumpAsync(default);
        await quitter;

        Assert.Equal(data, await keeper);
    }

    [Fact]
    public async Task Pump_SourceFails_EveryReaderSeesTheFailure()
    {
        var fan = StreamFanOut.Create(new FailingStream(), readers: 2);

        var readers = fan.Readers.Select(r => r.CopyToAsync(Stream.Null)).ToList();
        await Assert.ThrowsAsync<IOException>(() => fan.PumpAsync(default));

        foreach (var r in readers)
        {
            await Assert.ThrowsAsync<IOException>(() => r);
        }
    }

    private sealed class FailingStream : MemoryStream
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            throw new IOException("source lost");
    }
}
