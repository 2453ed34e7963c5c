using Ferry.TestRig;

namespace Ferry.Server.Tests.Support;

/// <summary>A new customer with a partner's SFTP directory (the source) and a fresh bucket (the target), both registered.</summary>
public sealed record PartnerSetup(FerryClient Client, string Dir, string Src, string Dst, string Bucket)
{
    public static async Task<PartnerSetup> CreateAsync(Rig rig, SharedServer shared)
    {
        var client = await FerryClient.NewCustomerAsync(shared.Server);
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var bucket = await rig.S3.NewBucketAsync();
        return new(client, dir, await client.RegisterSftpAsync(rig.Sftp, dir), await client.RegisterS3Async(rig.S3, bucket), bucket);
    }

    /// <summary>Writes a file of random bytes last modified at <paramref name="modified"/> (settled long ago); returns its SHA-256.</summary>
    public static async Task<string> OldFileAsync(string dir, string name, long size, int seed, DateTime modified)
    {
        var path = Path.Combine(dir, name);
        var sha = await RandomData.WriteFileAsync(path, size, seed);
        File.SetLastWriteTimeUtc(path, modified);
        return sha;
    }
}
