using Amazon;
using Amazon.Runtime;
using Amazon.S3;

namespace Ferry.Connectors.S3;

/// <summary>Builds an AWS SDK client from endpoint options.</summary>
internal static class S3ClientFactory
{
    /// <summary>Bytes of a request body written to the connection at a time.</summary>
    public const int RequestBodyWriteSize = 256 * 1024;

    public static AmazonS3Client Create(S3EndpointOptions o)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = o.ForcePathStyle,
            UseFIPSEndpoint = o.UseFips,
            Timeout = o.RequestTimeout,
            // The engine retries whole operations; the SDK's own retries only smooth over blips.
            MaxErrorRetry = 2,
            HttpClientFactory = S3HttpClientFactory.Instance,
            // How much of a body each write hands the socket. The SDK's 8 KiB meant 131,072
            // sendto calls per GiB uploaded, each waking the store's reader; a 256 KiB buffer
            // (pooled, one per request in flight) needs 4,096.
            BufferSize = RequestBodyWriteSize,
        };
        config.EndpointProvider = new CachedEndpointProvider(config.EndpointProvider);
        if (o.ServiceUrl is { } url)
        {
            config.ServiceURL = url;
            config.AuthenticationRegion = o.Region ?? "us-east-1";
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(o.Region ?? "us-east-1");
        }

        if (o.ChecksumsWhenRequiredOnly)
        {
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }

        if (o.AccessKeyId is { } id && o.SecretAccessKey is { } secret)
        {
            AWSCredentials credentials = o.SessionToken is { } token
                ? new SessionAWSCredentials(id, secret, token)
                : new BasicAWSCredentials(id, secret);
            return new AmazonS3Client(credentials, config);
        }

        return new AmazonS3Client(config);
    }
}
