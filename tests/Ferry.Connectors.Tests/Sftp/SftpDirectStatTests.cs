using Ferry.Connectors.Sftp;
using Ferry.TestRig;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Ferry.Connectors.Tests.Sftp;

/// <summary>
/// The one-request stat (SSH_FXP_STAT through SSH.NET's internal session) against OpenSSH: it must
/// answer what SSH.NET's own two-request stat answers, and must be the path in use with the
/// SSH.NET version Ferry ships (an upgrade that moves the internals fails here, not silently).
/// </summary>
[Collection("rig")]
public sealed class SftpDirectStatTests(Rig rig) : IDisposable
{
    private readonly SftpClient _client = Connect(rig.Sftp);
    private readonly string _dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);

    [Fact]
    public void AFile_IsStattedInOneRequest_WithTheSameAnswerAsSshNetsOwnStat()
    {
        var path = _dir + "/a file ü.bin";
        Upload(path, 1234);

        var direct = SftpDirectStat.Stat(_client, path);
        var sshNet = _client.GetAttributes(path);

        Assert.True(SftpDirectStat.Available, $"SSH.NET's internal RequestStat was not usable ({SftpDirectStat.FallbackReason}); stats have fallen back to two requests each");
        Assert.True(direct.IsRegularFile);
        Assert.Equal(1234, direct.Size);
        Assert.Equal(sshNet.Size, direct.Size);
        Assert.Equal(sshNet.LastWriteTimeUtc, direct.LastWriteTimeUtc);
    }

    [Fact]
    public void ASymbolicLink_IsFollowedToItsTarget()
    {
        Upload(_dir + "/target.bin", 77);
        _client.SymbolicLink(_dir + "/target.bin", _dir + "/link.bin");

        var link = SftpDirectStat.Stat(_client, _dir + "/link.bin");

        Assert.True(link.IsRegularFile);
        Assert.Equal(77, link.Size);
    }

    [Fact]
    public void ADirectory_IsReportedAsOne()
    {
        Assert.True(SftpDirectStat.Stat(_client, _dir).IsDirectory);
    }

    [Fact]
    public void AMissingPath_IsPathNotFound()
    {
        Assert.Throws<SftpPathNotFoundException>(() => SftpDirectStat.Stat(_client, _dir + "/no such file"));
    }

    [Fact]
    public void ADisconnectedClient_IsAConnectionError()
    {
        _client.Disconnect();

        Assert.ThrowsAny<SshConnectionException>(() => SftpDirectStat.Stat(_client, _dir));
    }

    public void Dispose() => _client.Dispose();

    private void Upload(string path, int length)
    {
        using var content = new RandomData(length, seed: length);
        _client.UploadFile(content, path);
    }

    private static SftpClient Connect(SftpServer server)
    {
        var client = new SftpClient(server.Host, server.Port, server.Ed25519User, new PrivateKeyFile(server.Ed25519KeyPath));
        client.HostKeyReceived += (_, e) => e.CanTrust = SftpHostKey.Matches(server.HostKey, SftpHostKey.Format(e.FingerPrintSHA256));
        client.Connect();
        return client;
    }
}
