using Ferry.Connectors.Local;
using Ferry.Connectors.S3;
using Ferry.Connectors.Sftp;
using Ferry.Core.Connectors;
using Ferry.TestRig;

namespace Ferry.Connectors.Tests.Conformance;

[Collection("rig")]
public sealed class SftpConformanceTests(Rig rig) : ConnectorConformanceTests
{
    protected override Task<IConnector> CreateConnectorAsync() => Task.FromResult<IConnector>(new SftpConnector(rig.Sftp.KeyUser()));
}

[Collection("rig")]
public sealed class S3ConformanceTests(Rig rig) : ConnectorConformanceTests
{
    private static string? _bucket;

    protected override async Task<IConnector> CreateConnectorAsync()
    {
        _bucket ??= await rig.S3.NewBucketAsync();
        return new S3Connector(rig.S3.Options(_bucket, prefix: "t-" + Guid.NewGuid().ToString("N")[..8]));
    }
}

public sealed class LocalConformanceTests : ConnectorConformanceTests, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ferry-local-").FullName;

    protected override Task<IConnector> CreateConnectorAsync() => Task.FromResult<IConnector>(new LocalConnector(_dir));

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
