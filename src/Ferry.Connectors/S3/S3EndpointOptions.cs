namespace Ferry.Connectors.S3;

/// <summary>Server-side encryption Ferry asks S3 to apply to what it writes.</summary>
public enum S3Encryption
{
    /// <summary>The bucket's default.</summary>
    None,

    /// <summary>SSE-S3 (AES256).</summary>
    S3Managed,

    /// <summary>SSE-KMS, with <see cref="S3EndpointOptions.KmsKeyId"/> or the account's default key.</summary>
    Kms,
}

/// <summary>One bucket (and optional key prefix) on AWS S3 or an S3-compatible store.</summary>
public sealed record S3EndpointOptions
{
    public required string Bucket { get; init; }

    /// <summary>Key prefix every path is relative to and confined under, e.g. "inbound/acme".</summary>
    public string Prefix { get; init; } = "";

    /// <summary>AWS region, e.g. "us-gov-west-1". Defaults to us-east-1 for S3-compatible stores.</summary>
    public string? Region { get; init; }

    /// <summary>Endpoint of an S3-compatible store ("http://127.0.0.1:7480"); null for AWS.</summary>
    public string? ServiceUrl { get; init; }

    /// <summary>Address buckets as a path ("host/bucket/key"); most S3-compatible stores want it.</summary>
    public bool ForcePathStyle { get; init; }

    /// <summary>Use AWS's FIPS endpoints (GovCloud and FedRAMP workloads).</summary>
    public bool UseFips { get; init; }

    /// <summary>Static credentials; when null the AWS SDK's default chain (environment, profile, instance role) is used.</summary>
    public string? AccessKeyId { get; init; }

    public string? SecretAccessKey { get; init; }

    public string? SessionToken { get; init; }

    public S3Encryption Encryption { get; init; } = S3Encryption.None;

    public string? KmsKeyId { get; init; }

    /// <summary>
    /// Send flexible checksums (x-amz-checksum-*) only when an operation requires them. Needed by
    /// stores that reject the AWS SDK's default trailer (Ceph RGW 16 answers
    /// XAmzContentSHA256Mismatch); AWS itself takes the default. Ferry's end-to-end checks do not
    /// depend on it: they use Content-MD5 per part and Ferry's own SHA-256.
    /// </summary>
    public bool ChecksumsWhenRequiredOnly { get; init; }

    /// <summary>
    /// Smallest multipart part; the part size grows so any object fits in 10,000 parts (8 MiB parts
    /// carry 78 GiB). 8 MiB x 4 in flight measured faster than 16 MiB x 4 against Ceph RGW, in half the memory.
    /// </summary>
    public long MinPartSize { get; init; } = 8L * 1024 * 1024;

    /// <summary>Parts uploaded at once. Memory used is at most part size times this.</summary>
    public int MaxPartsInFlight { get; init; } = 4;

    /// <summary>Upload buffer memory one transfer may hold; fewer parts fly at once when parts are large.</summary>
    public long MemoryBudget { get; init; } = 32L * 1024 * 1024;

    /// <summary>Objects up to this size go up in one PUT.</summary>
    public long SinglePutMax { get; init; } = 16L * 1024 * 1024;

    /// <summary>Server-side copies above this size use parallel UploadPartCopy (CopyObject allows 5 GiB).</summary>
    public long CopyObjectMax { get; init; } = 5L * 1024 * 1024 * 1024;

    /// <summary>Part size for server-side multipart copies (grown to fit 10,000 parts).</summary>
    public long CopyPartSize { get; init; } = 256L * 1024 * 1024;

    /// <summary>Parallel UploadPartCopy requests.</summary>
    public int CopyPartsInFlight { get; init; } = 8;

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);
}
