using System.Security.Cryptography;
using Amazon.S3;
using Ferry.Connectors.S3;
using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.TestRig;

namespace Ferry.Connectors.Tests.S3;

/// <summary>
/// SSE-KMS against Ceph RGW with its "testing" key backend: the object must be stored under the
/// endpoint's key whichever way it was written, and read back byte for byte.
/// </summary>
[Collection("rig")]
public sealed class S3EncryptionTests(Rig rig) : IAsyncLifetime
{
    private const long MiB = 1024 * 1024;
    private string _bucket = "";

    public async Task InitializeAsync() => _bucket = await rig.S3.NewBucketAsync();

    public Task DisposeAsync() => rig.S3.DeleteBucketAsync(_bucket);

    private S3Connector Kms(string? keyId = null) =>
        new(rig.S3.Options(_bucket) with
        {
            Encryption = S3Encryption.Kms, KmsKeyId = keyId ?? rig.S3.KmsKeyId, MinPartSize = 5 * MiB, SinglePutMax = 5 * MiB, MemoryBudget = 15 * MiB,
        });

    [Theory]
    [InlineData(1000)] // one PUT
    [InlineData(12 * MiB + 5)] // a multipart upload of three parts
    public async Task Write_StoresTheObjectUnderTheEndpointsKey(long length)
    {
        await using var c = Kms();

        var result = await c.WriteAsync("secret.bin", new RandomData(length, 3), length, WriteOptions.Default, default);

        await AssertEncryptedAsync("secret.bin", length, await RandomData.Sha256Async(length, 3));
        Assert.Equal(length, result.Size);
    }

    [Fact]
    public async Task ServerSideCopy_IntoAKmsEndpoint_EncryptsTheCopy()
    {
        const long length = 200_000;
        await using var plain = new S3Connector(rig.S3.Options(_bucket));
        await plain.WriteAsync("plain.bin", new RandomData(length, 4), length, WriteOptions.Default, default);
        var before = await rig.S3.Client.GetObjectMetadataAsync(_bucket, "plain.bin");
        Assert.Null(before.ServerSideEncryptionKeyManagementServiceKeyId);
        await using var kms = Kms();

        // RGW 16 copies without encrypting: Ferry removes that copy and streams the bytes instead, then and for later copies.
        await kms.CopyFromAsync(plain, "plain.bin", "copy.bin", WriteOptions.Default, default);
        await kms.CopyFromAsync(plain, "plain.bin", "copy-2.bin", WriteOptions.Default, default);

        await AssertEncryptedAsync("copy.bin", length, await RandomData.Sha256Async(length, 4));
        await AssertEncryptedAsync("copy-2.bin", length, await RandomData.Sha256Async(length, 4));
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(12 * MiB + 5)]
    public async Task AStoreThatIgnoresTheEncryption_FailsTheWrite_AndKeepsNoPlaintext(long length)
    {
        // Ceph RGW 16 accepts SSE-S3 (AES256) requests and stores the object unencrypted.
        await using var c = new S3Connector(rig.S3.Options(_bucket) with
        {
            Encryption = S3Encryption.S3Managed, MinPartSize = 5 * MiB, SinglePutMax = 5 * MiB, MemoryBudget = 15 * MiB,
        });

        var ex = await Assert.ThrowsAsync<FerryException>(() => c.WriteAsync("plain.bin", new RandomData(length, 6), length, WriteOptions.Default, default));

        Assert.Equal(ErrorCodes.EncryptionNotApplied, ex.Code);
        Assert.False(ex.IsTransient);
        Assert.Contains("SSE-S3; it reports none", ex.Message);
        Assert.Null(await c.StatAsync("plain.bin", default));
        // A multipart upload is refused when it starts (the store answers without the encryption), not after its parts.
        Assert.Empty((await rig.S3.Client.ListMultipartUploadsAsync(_bucket)).MultipartUploads ?? []);
        Assert.Contains(length > 5 * MiB ? "aborted it before sending anything" : "so Ferry removed it", ex.Message);
    }

    [Fact]
    public async Task AnUnknownKey_FailsPermanently_NamingTheKey()
    {
        await using var c = Kms(keyId: "no-such-key");

        var ex = await Assert.ThrowsAsync<FerryException>(() => c.WriteAsync("x.bin", new RandomData(1000, 5), 1000, WriteOptions.Default, default));

        Assert.False(ex.IsTransient);
        Assert.Equal(ErrorCodes.InvalidConfiguration, ex.Code);
        Assert.Contains("no-such-key", ex.Message);
        Assert.Contains("KMS key", ex.Message);
        Assert.Null(await c.StatAsync("x.bin", default));
    }

    private async Task AssertEncryptedAsync(string key, long length, string sha256)
    {
        var head = await rig.S3.Client.GetObjectMetadataAsync(_bucket, key);
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, head.ServerSideEncryptionMethod);
        Assert.Equal(rig.S3.KmsKeyId, head.ServerSideEncryptionKeyManagementServiceKeyId);
        Assert.Equal(length, head.ContentLength);
        using var get = await rig.S3.Client.GetObjectAsync(_bucket, key);
        Assert.Equal(sha256, Convert.ToHexStringLower(await SHA256.HashDataAsync(get.ResponseStream)));
    }
}
