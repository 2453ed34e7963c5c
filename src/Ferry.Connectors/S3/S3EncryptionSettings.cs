using Amazon.S3;
using Amazon.S3.Model;
using Ferry.Core.Errors;

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

    /// <summary>ENCRYPTION_NOT_APPLIED: the store <paramref name="did"/> without the encryption the endpoint asks for; <paramref name="then"/> says what Ferry did about it.</summary>
    public static FerryException NotApplied(S3EndpointOptions o, ServerSideEncryptionMethod? reported, string where, string did, string then, Exception? inner = null) =>
        FerryException.Permanent(ErrorCodes.EncryptionNotApplied,
            $"{where}: the store {did} without the server-side encryption the endpoint asks for ({(o.Encryption == S3Encryption.Kms ? "SSE-KMS" : "SSE-S3")}; "
            + $"it reports {(reported?.Value is { Length: > 0 } v ? v : "none")}), {then}. This store does not honour that setting here.", inner);

    /// <summary>Null leaves the bucket's default encryption in force.</summary>
    private static (ServerSideEncryptionMethod? Method, string? KmsKeyId) For(S3EndpointOptions o) => o.Encryption switch
    {
        S3Encryption.S3Managed => (ServerSideEncryptionMethod.AES256, null),
        S3Encryption.Kms => (ServerSideEncryptionMethod.AWSKMS, o.KmsKeyId),
        _ => (null, null),
    };
}
