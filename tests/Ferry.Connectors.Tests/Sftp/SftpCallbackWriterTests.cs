using System.Security.Cryptography;
using Ferry.Connectors.Sftp;
using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.TestRig;
using Renci.SshNet;

namespace Ferry.Connectors.Tests.Sftp;

/// <summary>
/// Writing through callback-answered SFTP requests of 255 KiB (<see cref="SftpCallbackWriter"/>)
/// against OpenSSH: byte-exact at every size around the write length, one answer per 255 KiB, and a
/// connection lost mid-write failing as transient without spoiling the next write.
/// </summary>
[Collection("rig")]
public sealed class SftpCallbackWriterTests(Rig rig)
{
    private const int Chunk = SftpCallbackWriter.WriteLength;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Chunk - 1)]
    [InlineData(Chunk)]
    [InlineData(Chunk + 1)]
    [InlineData(2 * Chunk + 1)]
    [InlineData(40 * Chunk + 7)]
    public async Task AFile_IsWrittenByteExact(int length)
    {
        await using var c = new SftpConnector(rig.Sftp.KeyUser());

        var result = await c.WriteAsync($"write-{length}.bin", new RandomData(length, seed: length), length, WriteOptions.Default, default);
        await using var read = await c.OpenReadAsync($"write-{length}.bin", 0, null, default);
        var hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(read));

        Assert.True(SftpConnector.WriterUnavailable is null, $"files are written through UploadFile: {SftpConnector.WriterUnavailable}");
        var expected = await RandomData.Sha256Async(length, seed: length);
        Assert.Equal((length, expected, expected), (result.Size, result.Sha256, hash));
    }

    [Fact]
    public async Task EachWriteCarries255KiB_AndIsAcknowledgedInOrder()
    {
        const int length = 10 * Chunk + 1000;
        var directory = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        using var client = new SftpClient(rig.Sftp.Host, rig.Sftp.Port, rig.Sftp.Ed25519User, new PrivateKeyFile(rig.Sftp.Ed25519KeyPath));
        client.HostKeyReceived += (_, e) => e.CanTrust = SftpHostKey.Matches(rig.Sftp.HostKey, SftpHostKey.Format(e.FingerPrintSHA256));
        client.Connect();
        var acknowledged = new List<long>();

        await SftpCallbackWriter.WriteAsync(client, directory + "/acks.bin", SftpOpenMode.Replace, new RandomData(length, seed: 5), 0, length, acknowledged.Add, default);

        // OpenSSH's sftp-server refuses a message over 256 KiB, so eleven answers are eleven accepted writes of up to 255 KiB.
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i * Chunk).Append(length), acknowledged);
        Assert.Equal(await RandomData.Sha256Async(length, seed: 5), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(directory + "/acks.bin"))));
    }

    [Fact]
    public void TheChannelsWindow_IsRead_SoSevenWritesAtMostAreInFlight()
    {
        using var client = new SftpClient(rig.Sftp.Host, rig.Sftp.Port, rig.Sftp.Ed25519User, new PrivateKeyFile(rig.Sftp.Ed25519KeyPath));
        client.HostKeyReceived += (_, e) => e.CanTrust = SftpHostKey.Matches(rig.Sftp.HostKey, SftpHostKey.Format(e.FingerPrintSHA256));
        client.Connect();

        var window = SftpSessionAccess.ChannelWindow(SftpSessionAccess.Session(client));

        // OpenSSH opens a session channel's window at 2 MiB; the SFTP handshake has taken a few bytes of it.
        Assert.NotNull(window);
        Assert.InRange(window.Value, 2u * 1024 * 1024 - 4096, 2u * 1024 * 1024);
        Assert.Equal(7, SftpWritesInFlight.LimitFor(window, Chunk));
    }

    [Fact]
    public async Task AConnectionLostMidWrite_FailsAsTransient_AndTheNextWriteGetsANewOne()
    {
        const int length = 24 * 1024 * 1024;
        await using var proxy = StallingTcpProxy.Start(rig.Sftp.Host, rig.Sftp.Port);
        await using var c = new SftpConnector(rig.Sftp.KeyUser() with { Port = proxy.Port, MaxConnections = 1 });

        // The proxy drops the connection once 5 MiB of the source have been read: writes are in flight then.
        var source = new ReadCallbackStream(new RandomData(length, seed: 9), 5 * 1024 * 1024, proxy.CloseConnections);
        var lost = await Assert.ThrowsAsync<FerryException>(() => c.WriteAsync("lost.bin", source, length, WriteOptions.Default, default));
        Assert.True(lost.IsTransient, $"{lost.Code}: {lost.Message}");

        // The only connection was dropped with the failed write, not handed back to the pool.
        var again = await c.WriteAsync("lost.bin", new RandomData(length, seed: 9), length, WriteOptions.Default, default);
        Assert.Equal(await RandomData.Sha256Async(length, seed: 9), again.Sha256);
        Assert.Equal(length, (await c.StatAsync("lost.bin", default))!.Size);
    }

    /// <summary>Calls <paramref name="passed"/> once when reading passes <paramref name="at"/> bytes.</summary>
    private sealed class ReadCallbackStream(Stream inner, long at, Action passed) : Stream
    {
        private long _position;
        private bool _called;

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            _position += read;
            if (!_called && _position >= at)
            {
                _called = true;
                passed();
            }

            return read;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
