using Xunit;

namespace Ferry.TestRig;

/// <summary>Both real servers, started together once per test assembly (a collection fixture).</summary>
public sealed class Rig : IAsyncLifetime
{
    public SftpServer Sftp { get; } = new();

    public S3Server S3 { get; } = new();

    public Task InitializeAsync() => Task.WhenAll(Sftp.InitializeAsync(), S3.InitializeAsync());

    public Task DisposeAsync() => Task.WhenAll(Sftp.DisposeAsync(), S3.DisposeAsync());
}
