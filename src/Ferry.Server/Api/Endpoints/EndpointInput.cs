using System.Text.RegularExpressions;
using Ferry.Core.Endpoints;

using Endpoint = Ferry.Core.Endpoints.Endpoint;

namespace Ferry.Server.Api.Endpoints;

/// <summary>Checks endpoint requests field by field and turns them into settings.</summary>
internal static partial class EndpointInput
{
    [GeneratedRegex("^SHA256:[A-Za-z0-9+/]{43}=?$")]
    private static partial Regex HostKeyPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketPattern();

    public static void CheckCommon(FieldErrors errors, string? name, string? direction, int? maxConcurrency, string? preferredRegion, bool creating)
    {
        if ((creating || name is not null) && (string.IsNullOrWhiteSpace(name) || name.Length > 100 || name.Any(char.IsControl)))
        {
            errors.Add("name", "is required: 1-100 characters without control characters");
        }

        if (direction is not null && ParseDirection(direction) is null)
        {
            errors.Add("direction", "must be inbound, outbound or both");
        }

        if (maxConcurrency is < 1 or > 64)
        {
            errors.Add("max_concurrency", "must be between 1 and 64");
        }

        if (preferredRegion is { Length: 0 or > 64 })
        {
            errors.Add("preferred_region", "must be 1-64 characters");
        }
    }

    public static EndpointDirection? ParseDirection(string? value) => value?.ToLowerInvariant() switch
    {
        null or "both" => EndpointDirection.Both,
        "inbound" => EndpointDirection.Inbound,
        "outbound" => EndpointDirection.Outbound,
        _ => null,
    };

    /// <summary>Merges <paramref name="input"/> over <paramref name="current"/> (null when creating) and checks the result.</summary>
    public static SftpSettings? Sftp(FieldErrors errors, SftpInput? input, SftpSettings? current, SftpAuthMethod auth)
    {
        var host = input?.Host ?? current?.Host;
        var port = input?.Port ?? current?.Port ?? 22;
        var username = input?.Username ?? current?.Username;
        var basePath = input?.BasePath ?? current?.BasePath ?? "";
        var tofu = input?.TrustOnFirstUse ?? false;
        var hostKey = input?.HostKeySha256 ?? (input?.TrustOnFirstUse == true ? "" : current?.HostKeySha256);
        if (string.IsNullOrWhiteSpace(host) || host.Length > 253 || Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            errors.Add("sftp.host", "is required: a DNS name or IP address");
        }

        if (port is < 1 or > 65535)
        {
            errors.Add("sftp.port", "must be between 1 and 65535");
        }

        if (string.IsNullOrWhiteSpace(username) || username.Length > 100 || username.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            errors.Add("sftp.username", "is required: 1-100 characters without spaces or control characters");
        }

        CheckPath(errors, "sftp.base_path", basePath, allowAbsolute: true);
        if (input?.HostKeySha256 is not null && input.TrustOnFirstUse == true)
        {
            errors.Add("sftp.host_key_sha256", "give the fingerprint or trust_on_first_use, not both");
        }
        else if (string.IsNullOrEmpty(hostKey) && !tofu)
        {
            errors.Add("sftp.host_key_sha256", "is required: the server's host key as 'SHA256:...' (ssh-keyscan HOST | ssh-keygen -lf -), or set trust_on_first_use to record the key seen at validation");
        }
        else if (!string.IsNullOrEmpty(hostKey) && !HostKeyPattern().IsMatch(hostKey))
        {
            errors.Add("sftp.host_key_sha256", "must look like 'SHA256:' followed by 43 base64 characters");
        }

        // A pin recorded by trust-on-first-use stays marked as such until someone gives a fingerprint.
        var trustedOnFirstUse = tofu || (current is { HostKeyTrustedOnFirstUse: true } && input?.HostKeySha256 is null);
        return errors.Any ? null : new SftpSettings(host!, port, username!, basePath, hostKey ?? "", trustedOnFirstUse, auth);
    }

    public static S3Settings? S3(FieldErrors errors, S3Input? input, S3Settings? current, bool staticCredentials)
    {
        var bucket = input?.Bucket ?? current?.Bucket;
        var prefix = input?.Prefix ?? current?.Prefix ?? "";
        var serviceUrl = input?.ServiceUrl ?? current?.ServiceUrl;
        var encryption = (input?.Encryption ?? current?.Encryption ?? "none").ToLowerInvariant();
        var kms = input?.KmsKeyId ?? current?.KmsKeyId;
        var region = input?.Region ?? current?.Region;
        if (bucket is null || !BucketPattern().IsMatch(bucket) || bucket.Contains("..", StringComparison.Ordinal))
        {
            errors.Add("s3.bucket", "is required: 3-63 lowercase letters, digits, '.' or '-'");
        }

        CheckPath(errors, "s3.prefix", prefix, allowAbsolute: false);
        if (serviceUrl is not null && (!Uri.TryCreate(serviceUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")
            || !string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.UserInfo)))
        {
            errors.Add("s3.service_url", "must be an http or https URL without credentials or query, like https://s3.example.com");
        }

        if (region is { Length: 0 or > 64 } || (region is not null && !region.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
        {
            errors.Add("s3.region", "must be an AWS region name like us-gov-west-1");
        }

        if (encryption is not ("none" or "s3" or "kms"))
        {
            errors.Add("s3.encryption", "must be none, s3 or kms");
        }
        else if (kms is not null && encryption != "kms")
        {
            errors.Add("s3.kms_key_id", "is only used with encryption 'kms'");
        }

        return errors.Any ? null : new S3Settings(bucket!, prefix.Trim('/'), region, serviceUrl, input?.ForcePathStyle ?? current?.ForcePathStyle ?? serviceUrl is not null,
            encryption, kms, staticCredentials);
    }

    public static void CheckCredentials(FieldErrors errors, EndpointKind kind, CredentialsInput? c)
    {
        if (kind == EndpointKind.Sftp)
        {
            if ((c?.Password is null) == (c?.PrivateKey is null))
            {
                errors.Add("credentials", "give exactly one of password or private_key");
            }

            if (c?.Password is { Length: 0 or > 1024 })
            {
                errors.Add("credentials.password", "must be 1-1024 characters");
            }

            if (c?.PrivateKey is { } key && (key.Length > 16384 || !key.TrimStart().StartsWith("-----BEGIN ", StringComparison.Ordinal)))
            {
                errors.Add("credentials.private_key", "must be the key text in OpenSSH or PEM form (-----BEGIN ...), at most 16 KiB");
            }

            if (c?.AccessKeyId is not null || c?.SecretAccessKey is not null || c?.SessionToken is not null)
            {
                errors.Add("credentials", "access keys belong to s3 endpoints");
            }
        }
        else
        {
            if (c is null)
            {
                return;
            }

            if ((c.AccessKeyId is null) != (c.SecretAccessKey is null))
            {
                errors.Add("credentials", "give access_key_id and secret_access_key together (or no credentials to use the ambient AWS identity)");
            }

            if (c.AccessKeyId is { Length: 0 or > 128 } || c.SecretAccessKey is { Length: 0 or > 256 } || c.SessionToken is { Length: 0 or > 4096 })
            {
                errors.Add("credentials", "an access key, secret or session token has an impossible length");
            }

            if (c.Password is not null || c.PrivateKey is not null || c.PrivateKeyPassphrase is not null)
            {
                errors.Add("credentials", "passwords and private keys belong to sftp endpoints");
            }
        }
    }

    /// <summary>Base paths and prefixes: no NUL or control characters, no "..", bounded length.</summary>
    public static void CheckPath(FieldErrors errors, string field, string path, bool allowAbsolute)
    {
        if (path.Length > 1024)
        {
            errors.Add(field, "must be at most 1024 characters");
        }
        else if (path.Any(char.IsControl))
        {
            errors.Add(field, "must not contain NUL or control characters");
        }
        else if (path.Split('/').Any(s => s == ".."))
        {
            errors.Add(field, "must not contain '..'");
        }
        else if (!allowAbsolute && path.StartsWith('/'))
        {
            errors.Add(field, "is relative: it must not start with '/'");
        }
    }
}
