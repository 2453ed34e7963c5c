using Amazon;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using Ferry.Connectors.Endpoints;
using Ferry.Core.Endpoints;
using Ferry.Core.Errors;
using Ferry.Core.Secrets;
using Ferry.Core.Triggers;

namespace Ferry.Connectors.Sqs;

/// <summary>SQS queues of S3 notifications, reached with the source endpoint's credentials and region.</summary>
public sealed class SqsEventQueues(ISecretStore secrets) : IEventQueues
{
    /// <summary>Long-poll time per receive (SQS allows up to 20 s).</summary>
    public const int WaitSeconds = 20;

    public async Task<IEventQueue> OpenAsync(Endpoint credentialsOf, string queueUrl, CancellationToken cancellationToken)
    {
        var url = new Uri(queueUrl);
        var s3 = credentialsOf.S3 ?? throw FerryException.Permanent(ErrorCodes.InvalidConfiguration, $"endpoint {credentialsOf.EndpointId} is not an S3 endpoint");
        var config = new AmazonSQSConfig { Timeout = TimeSpan.FromSeconds(WaitSeconds + 10), MaxErrorRetry = 2 };
        if (url.Host.EndsWith(".amazonaws.com", StringComparison.OrdinalIgnoreCase))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(s3.Region ?? "us-east-1");
        }
        else
        {
            // An SQS-compatible service elsewhere: talk to the host the queue URL names.
            config.ServiceURL = url.GetLeftPart(UriPartial.Authority);
            config.AuthenticationRegion = s3.Region ?? "us-east-1";
        }

        var credentials = await EndpointConnectors.CredentialsAsync(secrets, credentialsOf, cancellationToken).ConfigureAwait(false);
        var client = s3.StaticCredentials && credentials.AccessKeyId is { } id && credentials.SecretAccessKey is { } secret
            ? new AmazonSQSClient(credentials.SessionToken is { } token ? new SessionAWSCredentials(id, secret, token) : new BasicAWSCredentials(id, secret), config)
            : new AmazonSQSClient(config);
        return new SqsEventQueue(client, queueUrl);
    }

    private sealed class SqsEventQueue(AmazonSQSClient client, string queueUrl) : IEventQueue
    {
        public async Task<IReadOnlyList<QueuedMessage>> ReceiveAsync(CancellationToken cancellationToken)
        {
            var response = await RunAsync(() => client.ReceiveMessageAsync(
                new ReceiveMessageRequest { QueueUrl = queueUrl, MaxNumberOfMessages = 10, WaitTimeSeconds = WaitSeconds }, cancellationToken)).ConfigureAwait(false);
            return (response.Messages ?? []).Select(m => new QueuedMessage(m.Body, m.ReceiptHandle)).ToList();
        }

        public Task DeleteAsync(string receipt, CancellationToken cancellationToken) =>
            RunAsync(() => client.DeleteMessageAsync(new DeleteMessageRequest { QueueUrl = queueUrl, ReceiptHandle = receipt }, cancellationToken));

        public void Dispose() => client.Dispose();

        private async Task<T> RunAsync<T>(Func<Task<T>> call)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (AmazonSQSException ex) when ((int)ex.StatusCode is 400 or 403 or 404)
            {
                throw FerryException.Permanent(ErrorCodes.InvalidConfiguration, $"SQS queue {queueUrl}: {ex.ErrorCode}: {ex.Message}", ex);
            }
            catch (Exception ex) when (ex is AmazonServiceException or AmazonClientException or HttpRequestException)
            {
                throw FerryException.Transient(ErrorCodes.ConnectionFailed, $"SQS queue {queueUrl}: {ex.Message}", ex);
            }
        }
    }
}
