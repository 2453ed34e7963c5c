using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Ferry.Connectors.S3;
using Xunit;

namespace Ferry.TestRig;

/// <summary>
/// A throwaway Ceph cluster with a RADOS Gateway on 127.0.0.1 (rig/s3/start), memstore-backed.
/// <see cref="Client"/> is a plain SDK client for setting up and checking data independently of
/// the connector under test.
/// </summary>
public sealed class S3Server : IAsyncLifetime
{
    private Dictionary<string, string> _env = new();

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "ferry-rig-s3-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>Memstore size; objects live in RAM, about 1.6 GB per GiB stored.</summary>
    public int MemstoreMiB { get; init; } = 4096;

    public string Endpoint => _env["S3_ENDPOINT"];
    public string AccessKey => _env["S3_ACCESS_KEY"];
    public string SecretKey => _env["S3_SECRET_KEY"];

    /// <summary>A second user who owns no buckets, for access-denied tests.</summary>
    public string OtherAccessKey => _env["S3_OTHER_ACCESS_KEY"];

    public string OtherSecretKey => _env["S3_OTHER_SECRET_KEY"];

    /// <summary>The SSE-KMS key RGW's "testing" key backend holds (see rig/s3/start).</summary>
    public string KmsKeyId => _env["S3_KMS_KEY_ID"];

    public AmazonS3Client Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await RigProcess.RunAsync(Path.Combine(RepoPaths.Rig("s3"), "start"), [Directory, MemstoreMiB.ToString()], TimeSpan.FromSeconds(120));
        _env = RigProcess.ReadEnv(Path.Combine(Directory, "env"));
        Client = new AmazonS3Client(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonS3Config
        {
            ServiceURL = Endpoint,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        await RigProcess.RunAsync(Path.Combine(RepoPaths.Rig("s3"), "stop"), [Directory], TimeSpan.FromSeconds(60));
    }

    public async Task<string> NewBucketAsync()
    {
        var name = "t-" + Guid.NewGuid().ToString("N")[..12];
        await Client.PutBucketAsync(name);
        return name;
    }

    public S3EndpointOptions Options(string bucket, string prefix = "", string? accessKey = null, string? secretKey = null) => new()
    {
        Bucket = bucket,
        Prefix = prefix,
        ServiceUrl = Endpoint,
        ForcePathStyle = true,
        Region = "us-east-1",
        AccessKeyId = accessKey ?? AccessKey,
        SecretAccessKey = secretKey ?? SecretKey,
        ChecksumsWhenRequiredOnly = true,
    };

    /// <summary>Deletes every object and pending upload in a bucket, then the bucket, so memstore frees its RAM.</summary>
    public async Task DeleteBucketAsync(string bucket)
    {
        var uploads = await Client.ListMultipartUploadsAsync(bucket);
        foreach (var u in uploads.MultipartUploads ?? [])
        {
            await Client.AbortMultipartUploadAsync(bucket, u.Key, u.UploadId);
        }

        var request = new ListObjectsV2Request { BucketName = bucket };
        while (true)
        {
            var page = await Client.ListObjectsV2Async(request);
            foreach (var o in page.S3Objects ?? [])
            {
                await Client.DeleteObjectAsync(bucket, o.Key);
            }

            if (page.IsTruncated != true)
            {
                break;
            }

            request.ContinuationToken = page.NextContinuationToken;
        }

        await Client.DeleteBucketAsync(bucket);
    }

    /// <summary>A new S3 user of its own (so a test can suspend it without touching others); returns its keys.</summary>
    public async Task<(string AccessKey, string SecretKey)> CreateUserAsync(string uid)
    {
        var access = "AK" + Guid.NewGuid().ToString("N")[..18].ToUpperInvariant();
        var secret = Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N")[..8];
        await RadosGwAdminAsync("user", "create", $"--uid={uid}", $"--display-name={uid}", $"--access-key={access}", $"--secret={secret}");
        return (access, secret);
    }

    /// <summary>Suspends a user: every request it signs is refused from then on, as when a partner revokes access.</summary>
    public Task SuspendUserAsync(string uid) => RadosGwAdminAsync("user", "suspend", $"--uid={uid}");

    private Task RadosGwAdminAsync(params string[] args) =>
        RigProcess.RunAsync("radosgw-admin", ["-c", Path.Combine(Directory, "ceph.conf"), "-n", "client.rgw.a", .. args], TimeSpan.FromSeconds(60));
}
