using Amazon;
using Amazon.Runtime;
using Amazon.S3;

namespace Ferry.Connectors.S3;

/// <summary>Builds an AWS SDK client from endpoint options.</summary>
internal static class S3ClientFactory
{
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
