using System.Net;
using Amazon.S3;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>An S3 endpoint's server-side encryption, from the API to what RGW stores.</summary>
[Collection("rig")]
public sealed class EncryptedTargetTests(Rig rig, SharedServer shared) : IClassFixture<SharedServer>
{
    [Fact]
    public async Task AKmsEndpoint_StoresTheFileUnderItsKey_AndAnSseS3EndpointRgwIgnores_FailsWithoutLeavingPlaintext()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        await RandomData.WriteFileAsync(Path.Combine(dir, "in.bin"), 300_000, seed: 21);
        var bucket = await rig.S3.NewBucketAsync();
        var src = await client.RegisterSftpAsync(rig.Sftp, dir);
        var kms = await client.RegisterS3Async(rig.S3, bucket, encryption: "kms", kmsKeyId: rig.S3.KmsKeyId);
        var sseS3 = await client.RegisterS3Async(rig.S3, bucket, encryption: "s3");

        var encrypted = await RunAsync(client, src, kms, "kms/in.bin");
        var refused = await RunAsync(client, src, sseS3, "s3/in.bin");

        Assert.True(encrypted.GetProperty("status").GetString() == "SUCCEEDED", encrypted.GetRawText());
        var head = await rig.S3.Client.GetObjectMetadataAsync(bucket, "kms/in.bin");
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, head.ServerSideEncryptionMethod);
        Assert.Equal(rig.S3.KmsKeyId, head.ServerSideEncryptionKeyManagementServiceKeyId);

        // Permanent: one attempt, the error says what the store did, and nothing is left in the bucket under that name.
        Assert.True(refused.GetProperty("status").GetString() == "FAILED", refused.GetRawText());
        Assert.Equal("ENCRYPTION_NOT_APPLIED", refused.GetProperty("error_code").GetString());
        Assert.Equal(1, refused.GetProperty("attempts").GetArrayLength());
        Assert.Contains("SSE-S3; it reports none", refused.GetProperty("error_message").GetString());
        var listed = await rig.S3.Client.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = bucket, Prefix = "s3/" });
        Assert.Empty(listed.S3Objects ?? []);
    }

    private static async Task<System.Text.Json.JsonElement> RunAsync(FerryClient client, string src, string dst, string dstPath)
    {
        var reply = await client.TransferAsync(src, "in.bin", dst, dstPath);
        Assert.True(reply.Status == HttpStatusCode.Created, reply.Text);
        return await client.WaitForJobAsync(reply.Body.GetProperty("jobs")[0].GetProperty("job_id").GetString()!);
    }
}
