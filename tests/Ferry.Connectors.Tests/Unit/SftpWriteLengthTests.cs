using Ferry.Connectors.Sftp;

namespace Ferry.Connectors.Tests.Unit;

/// <summary>Which write length the SFTP writer uses with which server (the OpenSSH case runs against sshd in SftpCallbackWriterTests).</summary>
public sealed class SftpWriteLengthTests
{
    [Fact]
    public void AServerNamingLimitsAtOpenSshCom_Gets255KiBWrites()
    {
        var openSsh = new Dictionary<string, string> { ["posix-rename@openssh.com"] = "1", ["limits@openssh.com"] = "1" };

        Assert.Equal(255 * 1024, SftpCallbackWriter.WriteLengthFor(openSsh, 32_739));
    }

    [Fact]
    public void AnyOtherServer_GetsOneChannelPacketPerWrite_AsUploadFileWould()
    {
        Assert.Equal(32_739, SftpCallbackWriter.WriteLengthFor(new Dictionary<string, string> { ["posix-rename@openssh.com"] = "1" }, 32_739));
        Assert.Equal(32_739, SftpCallbackWriter.WriteLengthFor(null, 32_739));
    }
}
