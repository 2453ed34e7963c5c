using Ferry.Core.Connectors;

namespace Ferry.Core.Endpoints;

/// <summary>
/// Turns endpoint records into connectors: credentials from the secret store, one connector (and
/// its connection pool) per endpoint version, reused by every job on that endpoint.
/// </summary>
public interface IEndpointConnectors
{
    /// <summary>The endpoint's connector (at least this version), held until the lease is disposed.</summary>
    Task<ConnectorLease> GetAsync(Endpoint endpoint, CancellationToken cancellationToken);

    /// <summary>
    /// Connects with <paramref name="credentials"/> and checks the base path, without caching.
    /// Returns the host key the SFTP server presented (for trust-on-first-use), or null for S3.
    /// Fails with a <see cref="Errors.FerryException"/> naming what failed (DNS, TCP, host key, auth, base path).
    /// </summary>
    Task<string?> ValidateAsync(Endpoint endpoint, EndpointCredentials credentials, CancellationToken cancellationToken);

    /// <summary>The endpoint was deleted: its connector is handed out no more, and closed once its last lease is disposed.</summary>
    void Forget(string endpointId);
}
