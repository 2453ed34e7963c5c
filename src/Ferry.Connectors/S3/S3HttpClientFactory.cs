using System.Net;
using Amazon.Runtime;

namespace Ferry.Connectors.S3;

/// <summary>
/// Makes the S3 client's HttpClients as the SDK itself does (redirects as configured, no
/// decompression, the configured proxy, connection limit and timeout), with one change: small
/// bodies are sent without asking first.
/// </summary>
/// <remarks>
/// The SDK sends every PutObject and UploadPart with "Expect: 100-continue": headers, a wait for
/// the store's interim "100 Continue", then the body. That spares sending a large body to a store
/// about to refuse it, and costs a round trip each time; for a small file it is most of the PUT
/// (on the small-files benchmark, one more answer for RGW to send and one more wake-up on each
/// side per file). Like the AWS SDK for Go, only bodies over 2 MiB ask first.
/// </remarks>
internal sealed class S3HttpClientFactory : HttpClientFactory
{
    /// <summary>Bodies up to this size are sent without "Expect: 100-continue".</summary>
    public const long AskFirstAbove = 2L * 1024 * 1024;

    public static readonly S3HttpClientFactory Instance = new();

    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
    {
        var handler = new HttpClientHandler
        {
            AllowAutoRedirect = clientConfig.AllowAutoRedirect,
            AutomaticDecompression = DecompressionMethods.None,
        };
        if (clientConfig.MaxConnectionsPerServer is { } connections)
        {
            handler.MaxConnectionsPerServer = connections;
        }

        if (clientConfig.GetWebProxy() is { } proxy)
        {
            handler.Proxy = proxy;
            if (clientConfig.ProxyCredentials is { } credentials)
            {
                proxy.Credentials = credentials;
            }
        }

        var client = new HttpClient(new SmallBodiesSentAtOnce(handler));
        if (clientConfig.Timeout is { } timeout)
        {
            client.Timeout = timeout;
        }

        return client;
    }

    private sealed class SmallBodiesSentAtOnce(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Headers.ExpectContinue == true && request.Content?.Headers.ContentLength is <= AskFirstAbove)
            {
                request.Headers.ExpectContinue = false;
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
