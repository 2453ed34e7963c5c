using Ferry.Connectors.Sftp;
using Ferry.TestRig;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Ferry.Connectors.Tests.Sftp;

/// <summary>
/// The one-request stat (SSH_FXP_STAT through SSH.NET's internal session, answered by callback)
/// against OpenSSH: it must answer what SSH.NET's own two-request stat answers, must be the path in
/// use with the SSH.NET version Ferry ships (an upgrade that moves the internals fails here, not
/// silently), and must end when the connection dies or the server stops answering.
/// </summary>
[Collection("rig")]
public sealed class SftpDirectStatTests(Rig rig) : IDisposable
{
    private readonly SftpClient _client = Connect(rig.Sftp);
    private readonly string _dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);

    // Safety net so a stat that never ends fails the test instead of hanging it.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AFile_IsStattedInOneRequest_WithTheSameAnswerAsSshNetsOwnStat()
    {
        var path = _dir + "/a file ü.bin";
        Upload(path, 1234);

        var direct = await SftpDirectStat.StatAsync(_client, path, default);
        var sshNet = _client.GetAttributes(path);

        Assert.True(SftpDirectStat.Available, $"SSH.NET's internal RequestStat was not usable ({SftpDirectStat.FallbackReason}); stats have fallen back to two requests each");
        Assert.True(direct.IsRegularFile);
        Assert.Equal(1234, direct.Size);
        Assert.Equal(sshNet.Size, direct.Size);
        Assert.Equal(sshNet.LastWriteTimeUtc, direct.LastWriteTimeUtc);
    }

    [Fact]
    public async Task ASymbolicLink_IsFollowedToItsTarget()
    {
        Upload(_dir + "/target.bin", 77);
        _client.SymbolicLink(_dir + "/target.bin", _dir + "/link.bin");

        var link = await SftpDirectStat.StatAsync(_client, _dir + "/link.bin", default);

        Assert.True(link.IsRegularFile);
        Assert.Equal(77, link.Size);
    }

    [Fact]
    public async Task ADirectory_IsReportedAsOne()
    {
        Assert.True((await SftpDirectStat.StatAsync(_client, _dir, default)).IsDirectory);
    }

    [Fact]
    public async Task AMissingPath_IsPathNotFound()
    {
        var missing = await Assert.ThrowsAsync<SftpPathNotFoundException>(() => SftpDirectStat.StatAsync(_client, _dir + "/no such file", default));

        Assert.Contains("no such file", missing.Message);
    }

    [Fact]
    public async Task ADisconnectedClient_IsAConnectionError()
    {
        _client.Disconnect();

        await Assert.ThrowsAnyAsync<SshConnectionException>(() => SftpDirectStat.StatAsync(_client, _dir, default));
    }

    [Fact]
    public async Task ManyStatsAtOnceOnOneSession_EachGetItsOwnAnswer()
    {
        var sizes = Enumerable.Range(1, 40).ToList();
        foreach (var size in sizes)
        {
            Upload($"{_dir}/{size}.bin", size);
        }

        var answers = await Task.WhenAll(sizes.Select(size => SftpDirectStat.StatAsync(_client, $"{_dir}/{size}.bin", default)));

        Assert.Equal(sizes.Select(size => (long)size), answers.Select(a => a.Size));
    }

    [Fact]
    public async Task AStatWaitingOnAConnectionThatDies_FailsWithoutWaitingForItsTimeout()
    {
        var (proxy, client) = Stalled(Timeout.InfiniteTimeSpan);
        await using var _ = proxy;
        using var __ = client;

        var stat = SftpDirectStat.StatAsync(client, _dir, default);
        await proxy.HeldData.WaitAsync(Patience);
        Assert.False(stat.IsCompleted);
        proxy.CloseConnections();

        await Assert.ThrowsAnyAsync<SshException>(() => stat.WaitAsync(Patience));
    }

    [Fact]
    public async Task AStatOnAServerThatStoppedAnswering_TimesOutAfterTheOperationTimeout()
    {
        var (proxy, client) = Stalled(TimeSpan.FromSeconds(2));
        await using var _ = proxy;
        using var __ = client;

        var stat = SftpDirectStat.StatAsync(client, _dir, default);

        await Assert.ThrowsAsync<SshOperationTimeoutException>(() => stat.WaitAsync(Patience));
    }

    [Fact]
    public async Task AStatOnAServerThatStoppedAnswering_EndsWhenCancelled()
    {
        var (proxy, client) = Stalled(Timeout.InfiniteTimeSpan);
        await using var _ = proxy;
        using var __ = client;
        using var cts = new CancellationTokenSource();

        var stat = SftpDirectStat.StatAsync(client, _dir, cts.Token);
        await proxy.HeldData.WaitAsync(Patience);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stat.WaitAsync(Patience));
    }

    public void Dispose() => _client.Dispose();

    /// <summary>A client connected through a proxy that has just stopped forwarding anything.</summary>
    private (StallingTcpProxy Proxy, SftpClient Client) Stalled(TimeSpan operationTimeout)
    {
        var proxy = StallingTcpProxy.Start(rig.Sftp.Host, rig.Sftp.Port);
        var client = Connect(rig.Sftp, proxy.Port);
        client.OperationTimeout = operationTimeout;
        proxy.Stall();
        return (proxy, client);
    }

    private void Upload(string path, int length)
    {
        using var content = new RandomData(length, seed: length);
        _client.UploadFile(content, path);
    }

    private static SftpClient Connect(SftpServer server, int? port = null)
    {
        var client = new SftpClient(server.Host, port ?? server.Port, server.Ed25519User, new PrivateKeyFile(server.Ed25519KeyPath));
        client.HostKeyReceived += (_, e) => e.CanTrust = SftpHostKey.Matches(server.HostKey, SftpHostKey.Format(e.FingerPrintSHA256));
        client.Connect();
        return client;
    }
}
