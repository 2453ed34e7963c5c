using System.Text;
using Ferry.Connectors.Sftp;
using Ferry.Core.Connectors;
using Ferry.TestRig;

namespace Ferry.Connectors.Tests.Sftp;

/// <summary>
/// Pooled SSH connections between jobs, against the real sshd behind a proxy: one that went
/// silent (a firewall dropped it without a word) is replaced within the idle check's timeout
/// rather than after the operation timeout, and idle ones are closed after a while.
/// </summary>
[Collection("rig")]
public sealed class SftpIdleConnectionTests(Rig rig)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AnIdleConnectionThatWentSilent_IsReplaced_WithoutWaitingForTheOperationTimeout()
    {
        await using var proxy = StallingTcpProxy.Start(rig.Sftp.Host, rig.Sftp.Port);
        var options = rig.Sftp.KeyUser() with
        {
            Port = proxy.Port, IdleCheckAfter = TimeSpan.Zero, IdleCheckTimeout = TimeSpan.FromSeconds(1), OperationTimeout = TimeSpan.FromMinutes(10),
        };
        await using var c = new SftpConnector(options);
        await WriteAsync(c, "a.txt", "A");
        proxy.StallExisting();
        using var patience = new CancellationTokenSource(Patience);

        var entry = await c.StatAsync("a.txt", patience.Token);

        Assert.Equal(1, entry!.Size);
        Assert.Equal(2, proxy.ConnectionsMade);
    }

    [Fact]
    public async Task IdleConnections_AreClosedAfterMaxIdle_AndTheNextOperationConnectsAgain()
    {
        await using var proxy = StallingTcpProxy.Start(rig.Sftp.Host, rig.Sftp.Port);
        await using var c = new SftpConnector(rig.Sftp.KeyUser() with { Port = proxy.Port, MaxIdle = TimeSpan.FromSeconds(1) });
        await WriteAsync(c, "a.txt", "A");
        Assert.Equal(1, proxy.ConnectionsOpen);

        await Eventually.TrueAsync(() => proxy.ConnectionsOpen == 0, "the idle connection was not closed", Patience);

        Assert.Equal(1, (await c.StatAsync("a.txt", default))!.Size);
        Assert.Equal(2, proxy.ConnectionsMade);
    }

    private static Task<WriteResult> WriteAsync(SftpConnector c, string path, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return c.WriteAsync(path, new MemoryStream(bytes), bytes.Length, WriteOptions.Default, default);
    }
}
