using System.Security.Cryptography;
using Ferry.Connectors.Sftp;
using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.TestRig;

namespace Ferry.Connectors.Tests.Sftp;

/// <summary>
/// Reading through callback-answered SFTP requests (<see cref="SftpCallbackReadStream"/>) against
/// OpenSSH: byte-exact at every size around the read length, from an offset and for a range, and
/// leaving the pooled connection clean however early the stream is dropped.
/// </summary>
[Collection("rig")]
public sealed class SftpCallbackReadStreamTests(Rig rig)
{
    // One read request (SftpEndpointOptions.ReadLength): sizes around it are what matters.
    private const int Chunk = 255 * 1024;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1024)]
    [InlineData(Chunk - 1)]
    [InlineData(Chunk)]
    [InlineData(Chunk + 1)]
    [InlineData(2 * Chunk)]
    [InlineData(2 * Chunk + 1)]
    [InlineData(256 * 1024)]
    [InlineData(40 * Chunk + 7)]
    public async Task AFile_IsReadByteExact(int length)
    {
        await using var c = new SftpConnector(rig.Sftp.KeyUser());
        var path = $"read-{length}.bin";
        await c.WriteAsync(path, new RandomData(length, seed: length), length, WriteOptions.Default, default);

        await using var read = await c.OpenReadAsync(path, 0, null, default);
        var hash = await SHA256.HashDataAsync(read);

        Assert.True(SftpFileRequests.Available, $"SSH.NET's internal requests were not usable ({SftpFileRequests.FallbackReason}); files are read through SftpFileStream");
        Assert.IsType<SftpCallbackReadStream>(read);
        Assert.Equal(await RandomData.Sha256Async(length, seed: length), Convert.ToHexStringLower(hash));
    }

    [Fact]
    public async Task ASmallFile_TakesThreeReads_NonePastWhatItsShortAnswerLeftOpen()
    {
        // Read 1 and 2 go out together; 1 answers short (1 KB of 255 KiB asked), so only the rest
        // of its range is asked for (answered: end of file), not more reads past the end.
        await using var c = new SftpConnector(rig.Sftp.KeyUser());
        await c.WriteAsync("small-reads.bin", new RandomData(1024, seed: 9), 1024, WriteOptions.Default, default);

        await using var read = await c.OpenReadAsync("small-reads.bin", 0, null, default);
        var hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(read));

        Assert.Equal(await RandomData.Sha256Async(1024, seed: 9), hash);
        Assert.Equal(3, Assert.IsType<SftpCallbackReadStream>(read).ReadsSent);
    }

    [Theory]
    [InlineData(1024, 1024, 0, 2)] // the read cut at the expected end and the one that confirms it, sent together
    [InlineData(40 * Chunk + 7, 40 * Chunk + 7, 0, 42)] // no reads past the confirming one
    [InlineData(40 * Chunk + 7, 40 * Chunk + 7, 3 * Chunk + 11, 38)] // continuing from an offset
    [InlineData(3 * Chunk + 5, 1024, 0, -1)] // the file grew since it was looked at
    [InlineData(1024, 3 * Chunk + 5, 0, -1)] // the file shrank
    [InlineData(Chunk, 0, 0, -1)] // expected empty
    public async Task AnExpectedSize_CutsTheReadsToEndThere_AndTheFileIsStillReadToItsRealEnd(int length, long expected, long offset, int reads)
    {
        await using var c = new SftpConnector(rig.Sftp.KeyUser());
        var path = $"expected-{length}-{expected}-{offset}.bin";
        await c.WriteAsync(path, new RandomData(length, seed: 10), length, WriteOptions.Default, default);

        await using var read = await c.OpenReadToEndAsync(path, offset, expected, default);
        var copy = new MemoryStream();
        await read.CopyToAsync(copy);

        var whole = new MemoryStream();
        await new RandomData(length, seed: 10).CopyToAsync(whole);
        Assert.Equal(whole.ToArray().AsSpan((int)offset).ToArray(), copy.ToArray());
        if (reads >= 0)
        {
            Assert.Equal(reads, Assert.IsType<SftpCallbackReadStream>(read).ReadsSent);
        }
    }

    [Fact]
    public async Task ReadingToTheEnd_LooksAtTheFileAgainWithTheClose_AsItWasAfterTheLastRead()
    {
        const int length = 3 * Chunk + 5;
        var options = rig.Sftp.KeyUser();
        await using var c = new SftpConnector(options);
        await c.WriteAsync("look-again.bin", new RandomData(length, seed: 12), length, WriteOptions.Default, default);
        var before = (await c.StatAsync("look-again.bin", default))!;

        await using var read = await c.OpenReadToEndAsync("look-again.bin", 0, length, default);
        var looking = Assert.IsAssignableFrom<ILooksAgainAtEnd>(read);
        await read.ReadExactlyAsync(new byte[Chunk]);
        Assert.Null(looking.AtEnd); // nothing is looked at before the end is read
        // Touched while it is being read: the look after the end must see it.
        var touched = before.LastModified!.Value.AddMinutes(-5);
        File.SetLastWriteTimeUtc(Path.Combine(options.BasePath, "look-again.bin"), touched.UtcDateTime);
        await read.CopyToAsync(Stream.Null);

        var atEnd = await looking.AtEnd!;
        Assert.Equal((length, touched), (atEnd!.Size, atEnd.LastModified));
        Assert.Equal(await c.StatAsync("look-again.bin", default), atEnd); // the same entry a stat gives
    }

    [Fact]
    public async Task ReadSynchronously_AFileIsByteExact()
    {
        const int length = 3 * Chunk + 5;
        await using var c = new SftpConnector(rig.Sftp.KeyUser());
        await c.WriteAsync("sync.bin", new RandomData(length, seed: 3), length, WriteOptions.Default, default);

        await using var read = await c.OpenReadAsync("sync.bin", 0, null, default);
        var copy = new MemoryStream();
        read.CopyTo(copy, bufferSize: 100_000); // Stream.CopyTo reads through Read(byte[], int, int)

        Assert.Equal(await RandomData.Sha256Async(length, seed: 3), Convert.ToHexStringLower(SHA256.HashData(copy.ToArray())));
    }

    [Fact]
    public async Task AServerAnsweringLessThanAsked_IsFollowed()
    {
        // OpenSSH answers at most 255 KiB per read: asked for 1 MiB, every answer is short, and
        // the rest of each range must be asked for again before the stream moves on.
        const int length = 5 * 1024 * 1024 + 3;
        var options = rig.Sftp.KeyUser();
        await using var c = new SftpConnector(options with { ReadLength = 1024 * 1024 });
        await c.WriteAsync("capped.bin", new RandomData(length, seed: 4), length, WriteOptions.Default, default);

        await using var read = await c.OpenReadAsync("capped.bin", 0, null, default);
        var hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(read));

        Assert.Equal(await RandomData.Sha256Async(length, seed: 4), hash);
        Assert.Equal(255 * 1024, Assert.IsType<SftpCallbackReadStream>(read).ReadLength);
    }

    [Fact]
    public async Task AnOffsetAndALength_ReadExactlyThatRange()
    {
        const int length = 3 * 1024 * 1024 + 11;
        await using var c = new SftpConnector(rig.Sftp.KeyUser());
        await c.WriteAsync("range.bin", new RandomData(length, seed: 5), length, WriteOptions.Default, default);
        var all = new MemoryStream();
        await new RandomData(length, seed: 5).CopyToAsync(all);

        await using var tail = await c.OpenReadAsync("range.bin", 1_000_003, null, default);
        var tailBytes = new MemoryStream();
        await tail.CopyToAsync(tailBytes);
        await using var middle = await c.OpenReadAsync("range.bin", 300_000, 1_500_001, default);
        var middleBytes = new MemoryStream();
        await middle.CopyToAsync(middleBytes);

        Assert.Equal(all.ToArray()[1_000_003..], tailBytes.ToArray());
        Assert.Equal(all.ToArray()[300_000..1_800_001], middleBytes.ToArray());
    }

    [Fact]
    public async Task AStreamDroppedAfterItsFirstBytes_LeavesItsConnectionUsable()
    {
        const int length = 8 * 1024 * 1024;
        var options = rig.Sftp.KeyUser();
        await using (var writer = new SftpConnector(options))
        {
            await writer.WriteAsync("big.bin", new RandomData(length, seed: 9), length, WriteOptions.Default, default);
        }

        await using var c = new SftpConnector(options with { MaxConnections = 1 });
        for (var i = 0; i < 3; i++)
        {
            await using var read = await c.OpenReadAsync("big.bin", 0, null, default);
            var some = new byte[100_000];
            await read.ReadExactlyAsync(some);
        }

        // The one connection was handed back three times with reads still in flight; it must
        // still answer every request with its own answer.
        string hash;
        await using (var again = await c.OpenReadAsync("big.bin", 0, null, default))
        {
            hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(again));
        }

        Assert.Equal(await RandomData.Sha256Async(length, seed: 9), hash);
        Assert.Equal(length, (await c.StatAsync("big.bin", default))!.Size);
    }

    [Fact]
    public async Task AConnectionLostMidRead_FailsAsTransient_AndTheNextReadGetsANewOne()
    {
        // Larger than the 4 MiB of reads in flight, so some are asked for after the connection is gone.
        const int length = 16 * 1024 * 1024;
        var options = rig.Sftp.KeyUser();
        await using (var writer = new SftpConnector(options))
        {
            await writer.WriteAsync("lost.bin", new RandomData(length, seed: 8), length, WriteOptions.Default, default);
        }

        await using var proxy = StallingTcpProxy.Start(rig.Sftp.Host, rig.Sftp.Port);
        await using var c = new SftpConnector(options with { Port = proxy.Port, MaxConnections = 1 });
        await using (var read = await c.OpenReadAsync("lost.bin", 0, null, default))
        {
            await read.ReadExactlyAsync(new byte[100_000]);
            proxy.CloseConnections();

            var lost = await Assert.ThrowsAsync<FerryException>(async () =>
            {
                var buffer = new byte[1024 * 1024];
                while (await read.ReadAsync(buffer) > 0)
                {
                }
            });
            Assert.True(lost.IsTransient, $"{lost.Code}: {lost.Message}");
        }

        // The only connection was dropped with the failed stream, not handed back to the pool.
        string hash;
        await using (var again = await c.OpenReadAsync("lost.bin", 0, null, default))
        {
            hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(again));
        }

        Assert.Equal(await RandomData.Sha256Async(length, seed: 8), hash);
    }

    [Fact]
    public async Task AMissingFile_IsNotFound()
    {
        await using var c = new SftpConnector(rig.Sftp.KeyUser());

        var missing = await Assert.ThrowsAsync<FerryException>(() => c.OpenReadAsync("no such file.bin", 0, null, default));

        Assert.Equal(ErrorCodes.NotFound, missing.Code);
    }
}
