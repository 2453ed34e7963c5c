namespace Ferry.Core.Tenancy;

/// <summary>Customers and their API keys. Keys are found by the hash of the presented token.</summary>
public interface ITenantStore
{
    /// <summary>Inserts the customer; false when the id is taken.</summary>
    Task<bool> CreateCustomerAsync(Customer customer, CancellationToken cancellationToken);

    Task<Customer?> GetCustomerAsync(string customerId, CancellationToken cancellationToken);

    Task<IReadOnlyList<Customer>> ListCustomersAsync(CancellationToken cancellationToken);

    Task CreateApiKeyAsync(ApiKey key, CancellationToken cancellationToken);

    /// <summary>The key whose token hashes to <paramref name="tokenHash"/>, revoked or not; null when none.</summary>
    Task<ApiKey?> FindApiKeyAsync(string tokenHash, CancellationToken cancellationToken);

    Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(string customerId, CancellationToken cancellationToken);

    /// <summary>Revokes the key; false when the customer has no such key.</summary>
    Task<bool> RevokeApiKeyAsync(string customerId, string keyId, DateTimeOffset at, CancellationToken cancellationToken);
}
