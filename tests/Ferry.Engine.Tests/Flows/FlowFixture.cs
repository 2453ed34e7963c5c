using Amazon.S3.Model;
using Ferry.Connectors.Local;
using Ferry.Connectors.S3;
using Ferry.Connectors.Sftp;
using Ferry.Core.Connectors;
using Ferry.TestRig;

namespace Ferry.Engine.Tests.Flows;

/// <summary>
/// Per-test places on the real servers: an SFTP directory per user, an S3 bucket, a staging
/// folder, and helpers that put source data there and read targets back without going through
/// the code under test (the local filesystem for SFTP, a plain SDK client for S3).
/// </summary>
public sealed class FlowFixture : IAsyncDisposable
{
    private readonly Rig _rig;
    private readonly List<IAsyncDisposable> _owned = [];

    private FlowFixture(Rig rig, string bucket)
    {
        _rig = rig;
        Bucket = bucket;
        SourceSftpOptions = rig.Sftp.KeyUser();
        TargetSftpOptions = rig.Sftp.PasswordUserOptions();
        StagingDirectory = Directory.CreateTempSubdirectory("ferry-staging-").FullName;
    }

    public string Bucket { get; }
    public SftpEndpointOptions SourceSftpOptions { get; }
    public SftpEndpointOptions TargetSftpOptions { get; }
    public string StagingDirectory { get; }

    public static async Task<FlowFixture> CreateAsync(Rig rig) => new(rig, await rig.S3.NewBucketAsync());

    public SftpConnector SourceSftp() => Own(new SftpConnector(SourceSftpOptions));

    public SftpConnector TargetSftp() => Own(new SftpConnector(TargetSftpOptions));

    public S3Connector S3(string prefix = "", S3EndpointOptions? options = null) => Own(new S3Connector(options ?? _rig.S3.Options(Bucket, prefix)));

    public S3EndpointOptions S3Options(string prefix = "") => _rig.S3.Options(Bucket, prefix);

    public LocalConnector Staging() => Own(LocalConnector.ForStaging(StagingDirectory));

    /// <summary>Writes random content straight into the SFTP source user's directory.</summary>
    public async Task<string> PutSftpSourceAsync(string relativePath, long length, int seed)
    {
        var path = Path.Combine(SourceSftpOptions.BasePath, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var sha = await RandomData.WriteFileAsync(path, length, seed);
        SftpServer.Chown(path, SourceSftpOptions.Username);
        return sha;
    }

    /// <summary>Uploads random content with the plain SDK client.</summary>
    public async Task<string> PutS3SourceAsync(string key, long length, int seed)
    {
        var file = Path.Combine(StagingDirectory, "..", "src-" + Guid.NewGuid().ToString("N"));
        var sha = await RandomData.WriteFileAsync(file, length, seed);
        try
        {
            await _rig.S3.Client.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = key, FilePath = file, UseChunkEncoding = false });
        }
        finally
        {
            File.Delete(file);
        }

        return sha;
    }

    public string TargetSftpLocalPath(string relativePath) => Path.Combine(TargetSftpOptions.BasePath, relativePath);

    public Task<string> Sha256OfTargetSftpAsync(string relativePath) => RandomData.Sha256OfFileAsync(TargetSftpLocalPath(relativePath));

    public async Task<string> Sha256OfS3Async(string key)
    {
        using var get = await _rig.S3.Client.GetObjectAsync(Bucket, key);
        return Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(get.ResponseStream));
    }

    public async Task<long?> S3SizeAsync(string key)
    {
        try
        {
            return (await _rig.S3.Client.GetObjectMetadataAsync(Bucket, key)).ContentLength;
        }
        catch (Amazon.S3.AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private T Own<T>(T connector) where T : IConnector
    {
        _owned.Add(connector);
        return connector;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _owned)
        {
            await c.DisposeAsync();
        }

        await _rig.S3.DeleteBucketAsync(Bucket);
        Directory.Delete(StagingDirectory, recursive: true);
        foreach (var dir in new[] { SourceSftpOptions.BasePath, TargetSftpOptions.BasePath })
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
