namespace Ferry.Core.Endpoints;

/// <summary>Endpoints, always read and written within one customer; every update is conditional on the version read.</summary>
public interface IEndpointStore
{
    /// <summary>Inserts the endpoint; false when the id is taken.</summary>
    Task<bool> CreateAsync(Endpoint endpoint, CancellationToken cancellationToken);

    /// <summary>The endpoint, or null when it does not exist or belongs to another customer.</summary>
    Task<Endpoint?> GetAsync(string customerId, string endpointId, CancellationToken cancellationToken);

    /// <summary>A customer's endpoints, oldest first, keyset-paged by id.</summary>
    Task<EndpointPage> ListAsync(string customerId, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="after"/> if the stored version is still <paramref name="expectedVersion"/>.</summary>
    Task<bool> UpdateAsync(Endpoint after, long expectedVersion, CancellationToken cancellationToken);

    /// <summary>Removes the endpoint if the stored version is still <paramref name="expectedVersion"/>; false otherwise (changed, gone, or another customer's).</summary>
    Task<bool> DeleteAsync(string customerId, string endpointId, long expectedVersion, CancellationToken cancellationToken);
}

public sealed record EndpointPage(IReadOnlyList<Endpoint> Endpoints, string? NextCursor);
