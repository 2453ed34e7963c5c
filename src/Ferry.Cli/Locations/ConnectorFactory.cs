using Ferry.Cli.Commands;
using Ferry.Connectors.Local;
using Ferry.Connectors.S3;
using Ferry.Connectors.Sftp;
using Ferry.Core.Connectors;

namespace Ferry.Cli.Locations;

/// <summary>Turns a parsed location and its side's settings into a connector.</summary>
internal static class ConnectorFactory
{
    public static IConnector Create(Location location, SideSettings settings, Func<SftpLocation, string?> askPassword) => location switch
    {
        SftpLocation s => CreateSftp(s, settings, askPassword),
        S3Location s => CreateS3(s, settings),
        LocalLocation => new LocalConnector("/"),
        _ => throw new InvalidOperationException(location.GetType().Name),
    };

    private static SftpConnector CreateSftp(SftpLocation s, SideSettings settings, Func<SftpLocation, string?> askPassword)
    {
        string? key = null;
        if (settings.KeyFile is { } keyFile)
        {
            var path = Path.GetFullPath(Environment.ExpandEnvironmentVariables(keyFile.StartsWith("~/", StringComparison.Ordinal)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), keyFile[2..])
                : keyFile));
            if (!File.Exists(path))
            {
                throw new LocationException($"the key file {path} does not exist");
            }

            key = File.ReadAllText(path);
        }

        // A key file wins: the password (FERRY_SFTP_PASSWORD or a prompt) is for sides without one.
        var password = key is null ? settings.Password ?? askPassword(s) : null;
        if (key is null && password is null)
        {
            throw new LocationException($"no credentials for {s.User}@{s.Host}: pass --key-file, or set FERRY_SFTP_PASSWORD, or run on a terminal to be asked");
        }

        // Without --host-key: the keys OpenSSH's known_hosts files list for the server, if any.
        var (knownKeys, knownSource) = settings.HostKey is null ? KnownHosts.Find(s.Host, s.Port) : ([], null);
        return new SftpConnector(new SftpEndpointOptions
        {
            KnownHostKeys = knownKeys,
            KnownHostKeysSource = knownSource,
            Host = s.Host,
            Port = s.Port,
            Username = s.User,
            BasePath = s.FromHome ? "" : "/",
            PrivateKey = key,
            Password = password,
            HostKeySha256 = settings.HostKey,
            MaxConnections = settings.SftpConnections,
        });
    }

    private static S3Connector CreateS3(S3Location s, SideSettings settings)
    {
        var compatible = settings.EndpointUrl is not null;
        var options = new S3EndpointOptions
        {
            Bucket = s.Bucket,
            ServiceUrl = settings.EndpointUrl,
            Region = settings.Region ?? Environment.GetEnvironmentVariable("AWS_REGION") ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION"),
            ForcePathStyle = settings.PathStyle ?? compatible,
            // Credentials come from the AWS SDK's default chain: environment, profile, instance role.
            ChecksumsWhenRequiredOnly = compatible,
            Encryption = settings.Sse switch
            {
                null or "none" => S3Encryption.None,
                "s3" => S3Encryption.S3Managed,
                "kms" => S3Encryption.Kms,
                _ => throw new LocationException($"--sse must be none, s3 or kms, not '{settings.Sse}'"),
            },
            KmsKeyId = settings.KmsKeyId,
        };
        if (settings.PartSizeMiB is { } mib)
        {
            options = options with { MinPartSize = mib * 1024L * 1024, SinglePutMax = mib * 1024L * 1024 };
        }

        if (settings.PartsInFlight is { } n)
        {
            options = options with { MaxPartsInFlight = n, MemoryBudget = n * options.MinPartSize };
        }

        return new S3Connector(options);
    }
}
