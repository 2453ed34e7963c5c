using System.Collections.Concurrent;
using Ferry.Connectors.S3;
using Ferry.Connectors.Sftp;
using Ferry.Core.Connectors;
using Ferry.Core.Endpoints;
using Ferry.Core.Errors;
using Ferry.Core.Json;
using Ferry.Core.Secrets;

namespace Ferry.Connectors.Endpoints;

/// <summary>
/// One live connector per endpoint version, so consecutive jobs on an endpoint reuse its SSH
/// connections and HTTP client (per-file connection setup is where small-file transfers lose).
/// A new version (credentials rotated, host key or settings changed) gets a fresh connector; the
/// old one is closed when the last job holding it lets go (<see cref="ConnectorLease"/>).
/// </summary>
public sealed class EndpointConnectors(ISecretStore secrets) : IEndpointConnectors, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<LiveConnector>>> _live = new();

    public async Task<ConnectorLease> GetAsync(Endpoint endpoint, CancellationToken cancellationToken)
    {
        while (true)
        {
            var lazy = _live.GetOrAdd(endpoint.EndpointId, _ => new Lazy<Task<LiveConnector>>(() => CreateAsync(endpoint, CancellationToken.None)));
            LiveConnector live;
            try
            {
                live = await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch when (!cancellationToken.IsCancellationRequested)
            {
                _live.TryRemove(new(endpoint.EndpointId, lazy));
                throw;
            }

            if (live.Version >= endpoint.Version && live.TryAcquire())
            {
                return new ConnectorLease(live.Connector, live.Release);
            }

            if (_live.TryRemove(new(endpoint.EndpointId, lazy)))
            {
                // Jobs still running on the old version keep it; new ones get the new version.
                live.Retire();
            }
        }
    }

    public void Forget(string endpointId)
    {
        if (_live.TryRemove(endpointId, out var lazy) && lazy.IsValueCreated)
        {
            _ = lazy.Value.ContinueWith(t => t.Result.Retire(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }
    }

    public async Task<string?> ValidateAsync(Endpoint endpoint, EndpointCredentials credentials, CancellationToken cancellationToken)
    {
        switch (Build(endpoint, credentials, validating: true))
        {
            case SftpConnector sftp:
                await using (sftp.ConfigureAwait(false))
                {
                    try
                    {
                        await sftp.CheckAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (FerryException ex) when (ex.Code == ErrorCodes.HostKeyNotTrusted && endpoint.Sftp!.HostKeyTrustedOnFirstUse
                                                    && sftp.LastPresentedHostKey is { } seen)
                    {
                        // Trust on first use: connect again pinned to the key just seen, so authentication and the base path are checked too.
                        var pinned = endpoint with { Sftp = endpoint.Sftp with { HostKeySha256 = seen } };
                        await ValidateAsync(pinned, credentials, cancellationToken).ConfigureAwait(false);
                        return seen;
                    }

                    return sftp.LastPresentedHostKey;
                }

            case S3Connector s3:
                await using (s3.ConfigureAwait(false))
                {
                    await s3.CheckAsync(cancellationToken).ConfigureAwait(false);
                    return null;
                }

            default:
                throw new InvalidOperationException(endpoint.Kind.ToString());
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var lazy in _live.Values)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
            {
                await lazy.Value.Result.Connector.DisposeAsync().ConfigureAwait(false);
            }
        }

        _live.Clear();
    }

    private async Task<LiveConnector> CreateAsync(Endpoint endpoint, CancellationToken cancellationToken) =>
        new(endpoint.Version, Build(endpoint, await CredentialsAsync(secrets, endpoint, cancellationToken).ConfigureAwait(false), validating: false));

    /// <summary>The endpoint's credentials from the secret store (none when it uses the ambient identity).</summary>
    internal static async Task<EndpointCredentials> CredentialsAsync(ISecretStore secrets, Endpoint endpoint, CancellationToken cancellationToken)
    {
        if (endpoint.SecretRef is not { } reference)
        {
            return new EndpointCredentials();
        }

        var json = await secrets.GetAsync(endpoint.CustomerId, reference, cancellationToken).ConfigureAwait(false)
            ?? throw FerryException.Permanent(ErrorCodes.InvalidConfiguration, $"the credentials of endpoint {endpoint.EndpointId} are missing from the secret store");
        return CoreJson.DeserializeCredentials(json);
    }

    private static IConnector Build(Endpoint endpoint, EndpointCredentials credentials, bool validating) => endpoint.Kind switch
    {
        EndpointKind.Sftp when endpoint.Sftp is { } s => new SftpConnector(new SftpEndpointOptions
        {
            Host = s.Host,
            Port = s.Port,
            Username = s.Username,
            BasePath = s.BasePath,
            // During trust-on-first-use validation there is no pin yet: the check reports the key seen.
            HostKeySha256 = s.HostKeySha256.Length == 0 ? null : s.HostKeySha256,
            Password = credentials.Password,
            PrivateKey = credentials.PrivateKey,
            PrivateKeyPassphrase = credentials.PrivateKeyPassphrase,
            MaxConnections = Math.Max(1, endpoint.MaxConcurrency),
            ConnectTimeout = validating ? TimeSpan.FromSeconds(10) : TimeSpan.FromSeconds(20),
        }),
        EndpointKind.S3 when endpoint.S3 is { } s => new S3Connector(new S3EndpointOptions
        {
            Bucket = s.Bucket,
            Prefix = s.Prefix,
            Region = s.Region,
            ServiceUrl = s.ServiceUrl,
            ForcePathStyle = s.ForcePathStyle,
            AccessKeyId = s.StaticCredentials ? credentials.AccessKeyId : null,
            SecretAccessKey = s.StaticCredentials ? credentials.SecretAccessKey : null,
            SessionToken = s.StaticCredentials ? credentials.SessionToken : null,
            Encryption = s.Encryption switch { "s3" => S3Encryption.S3Managed, "kms" => S3Encryption.Kms, _ => S3Encryption.None },
            KmsKeyId = s.KmsKeyId,
            // S3-compatible stores (a service URL) get the conservative checksum setting; AWS keeps its default.
            ChecksumsWhenRequiredOnly = s.ServiceUrl is not null,
            RequestTimeout = validating ? TimeSpan.FromSeconds(15) : TimeSpan.FromMinutes(5),
        }),
        _ => throw new InvalidOperationException($"endpoint {endpoint.EndpointId} has no {endpoint.Kind} settings"),
    };
}
