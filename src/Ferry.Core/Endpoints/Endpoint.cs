namespace Ferry.Core.Endpoints;

public enum EndpointKind
{
    Sftp,
    S3,
}

/// <summary>ACTIVE endpoints take new jobs; DISABLED ones reject them (running jobs finish).</summary>
public enum EndpointStatus
{
    Active,
    Disabled,
}

public enum EndpointDirection
{
    Inbound,
    Outbound,
    Both,
}

/// <summary>
/// A reusable connection a customer registered. Credentials are not here: only
/// <see cref="SecretRef"/>, a reference into the secret store. Every change is conditional on
/// <see cref="Version"/>.
/// </summary>
public sealed record Endpoint
{
    public required string EndpointId { get; init; }
    public required string CustomerId { get; init; }
    public required string Name { get; init; }
    public required EndpointKind Kind { get; init; }
    public EndpointStatus Status { get; init; } = EndpointStatus.Active;
    public EndpointDirection Direction { get; init; } = EndpointDirection.Both;

    /// <summary>Transfers touching this endpoint at once, across every worker (partner protection).</summary>
    public int MaxConcurrency { get; init; } = 4;

    public string? PreferredRegion { get; init; }
    public SftpSettings? Sftp { get; init; }
    public S3Settings? S3 { get; init; }
    public string? SecretRef { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>When connectivity was last checked successfully.</summary>
    public DateTimeOffset? ValidatedAt { get; init; }

    public long Version { get; init; } = 1;

    /// <summary>The flow name of one end ("sftp" or "s3").</summary>
    public string Scheme => Kind == EndpointKind.Sftp ? "sftp" : "s3";
}

public enum SftpAuthMethod
{
    Password,
    PrivateKey,
}

/// <param name="HostKeySha256">The pinned host key ("SHA256:..."), given or recorded by trust-on-first-use.</param>
/// <param name="HostKeyTrustedOnFirstUse">True when the pin was recorded from the first validation, not given.</param>
public sealed record SftpSettings(
    string Host,
    int Port,
    string Username,
    string BasePath,
    string HostKeySha256,
    bool HostKeyTrustedOnFirstUse,
    SftpAuthMethod Auth);

/// <param name="Encryption">"none", "s3" (SSE-S3) or "kms".</param>
/// <param name="StaticCredentials">False: the AWS SDK's ambient identity (environment, profile, instance role).</param>
public sealed record S3Settings(
    string Bucket,
    string Prefix,
    string? Region,
    string? ServiceUrl,
    bool ForcePathStyle,
    string Encryption,
    string? KmsKeyId,
    bool StaticCredentials);

/// <summary>What an endpoint's secret holds; kept only sealed in the secret store.</summary>
public sealed record EndpointCredentials
{
    public string? Password { get; init; }
    public string? PrivateKey { get; init; }
    public string? PrivateKeyPassphrase { get; init; }
    public string? AccessKeyId { get; init; }
    public string? SecretAccessKey { get; init; }
    public string? SessionToken { get; init; }
}
