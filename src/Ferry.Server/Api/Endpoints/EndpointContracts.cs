using Ferry.Core.Endpoints;

using Endpoint = Ferry.Core.Endpoints.Endpoint;

namespace Ferry.Server.Api.Endpoints;

internal sealed record EndpointCreate(
    string? Name, string? Type, string? Direction, int? MaxConcurrency, string? PreferredRegion,
    SftpInput? Sftp, S3Input? S3, CredentialsInput? Credentials);

/// <summary>PATCH: every field optional; what is given replaces what is stored.</summary>
internal sealed record EndpointPatch(string? Name, string? Direction, int? MaxConcurrency, string? PreferredRegion, SftpInput? Sftp, S3Input? S3);

internal sealed record SftpInput(string? Host, int? Port, string? Username, string? BasePath, string? HostKeySha256, bool? TrustOnFirstUse);

internal sealed record S3Input(string? Bucket, string? Prefix, string? Region, string? ServiceUrl, bool? ForcePathStyle, string? Encryption, string? KmsKeyId);

/// <summary>Write-only: stored sealed in the secret store, never returned.</summary>
internal sealed record CredentialsInput(
    string? Password, string? PrivateKey, string? PrivateKeyPassphrase, string? AccessKeyId, string? SecretAccessKey, string? SessionToken)
{
    public EndpointCredentials ToCredentials() => new()
    {
        Password = Password,
        PrivateKey = PrivateKey,
        PrivateKeyPassphrase = PrivateKeyPassphrase,
        AccessKeyId = AccessKeyId,
        SecretAccessKey = SecretAccessKey,
        SessionToken = SessionToken,
    };
}

internal sealed record EndpointView(
    string EndpointId, string Name, string Type, string Status, string Direction, int MaxConcurrency, string? PreferredRegion,
    SftpView? Sftp, S3View? S3, bool HasCredentials, long Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? ValidatedAt)
{
    public static EndpointView From(Endpoint e) => new(
        e.EndpointId, e.Name, e.Scheme, e.Status.ToString().ToUpperInvariant(), e.Direction.ToString().ToUpperInvariant(), e.MaxConcurrency, e.PreferredRegion,
        e.Sftp is { } s ? new SftpView(s.Host, s.Port, s.Username, s.BasePath, s.HostKeySha256, s.HostKeyTrustedOnFirstUse, s.Auth == SftpAuthMethod.Password ? "password" : "private_key") : null,
        e.S3 is { } b ? new S3View(b.Bucket, b.Prefix, b.Region, b.ServiceUrl, b.ForcePathStyle, b.Encryption, b.KmsKeyId, b.StaticCredentials ? "static" : "ambient") : null,
        e.SecretRef is not null, e.Version, e.CreatedAt, e.UpdatedAt, e.ValidatedAt);
}

internal sealed record SftpView(string Host, int Port, string Username, string BasePath, string HostKeySha256, bool HostKeyTrustedOnFirstUse, string Auth);

internal sealed record S3View(string Bucket, string Prefix, string? Region, string? ServiceUrl, bool ForcePathStyle, string Encryption, string? KmsKeyId, string Credentials);
