using Amazon.S3;
using Amazon.S3.Model;

namespace Ferry.Connectors.S3;

/// <summary>Puts the endpoint's server-side encryption on every request that creates an object.</summary>
internal static class S3EncryptionSettings
{
    public static void Apply(PutObjectRequest r, S3EndpointOptions o) =>
        (r.ServerSideEncryptionMethod, r.ServerSideEncryptionKeyManagementServiceKeyId) = For(o);

    public static void Apply(InitiateMultipartUploadRequest r, S3EndpointOptions o) =>
        (r.ServerSideEncryptionMethod, r.ServerSideEncryptionKeyManagementServiceKeyId) = For(o);

    public static void Apply(CopyObjectRequest r, S3EndpointOptions o) =>
        (r.ServerSideEncryptionMethod, r.ServerSideEncryptionKeyManagementServiceKeyId) = For(o);

    /// <summary>
    /// Whether the encryption a store reports for an object (null or empty: none) is what the
    /// endpoint asks for. Only the method counts: AWS reports a KMS key by its ARN even when the
    /// endpoint names it by id or alias.
    /// </summary>
    public static bool Satisfied(S3EndpointOptions o, ServerSideEncryptionMethod? reported) => o.Encryption switch
    {
        S3Encryption.S3Managed => reported?.Value is { Length: > 0 },
        S3Encryption.Kms => reported?.Value?.StartsWith("aws:kms", StringComparison.Ordinal) == true,
        _ => true,
    };

    /// <summary>Null leaves the bucket's default encryption in force.</summary>
    private static (ServerSideEncryptionMethod? Method, string? KmsKeyId) For(S3EndpointOptions o) => o.Encryption switch
    {
        S3Encryption.S3Managed => (ServerSideEncryptionMethod.AES256, null),
        S3Encryption.Kms => (ServerSideEncryptionMethod.AWSKMS, o.KmsKeyId),
        _ => (null, null),
    };
}
