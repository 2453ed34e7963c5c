using Ferry.Core.Tenancy;
using Microsoft.Data.Sqlite;
using static Ferry.Stores.Sqlite.SqliteJobMapping;

namespace Ferry.Stores.Sqlite;

/// <summary>Customers and API keys (by token hash) in the embedded database.</summary>
public sealed class SqliteTenantStore(SqliteDatabase database) : ITenantStore
{
    private const string KeyColumns = "key_id, customer_id, name, token_hash, created_at, revoked_at, scope, expires_at";

    public async Task<bool> CreateCustomerAsync(Customer customer, CancellationToken cancellationToken) =>
        await database.ExecuteAsync("INSERT INTO customers (customer_id, name, created_at) VALUES ($id, $name, $at) ON CONFLICT DO NOTHING",
            cancellationToken, ("$id", customer.CustomerId), ("$name", customer.Name), ("$at", Ms(customer.CreatedAt))).ConfigureAwait(false) == 1;

    public async Task<Customer?> GetCustomerAsync(string customerId, CancellationToken cancellationToken) =>
        (await database.QueryAsync("SELECT customer_id, name, created_at FROM customers WHERE customer_id = $id", ReadCustomer, cancellationToken,
            ("$id", customerId)).ConfigureAwait(false)).FirstOrDefault();

    public async Task<IReadOnlyList<Customer>> ListCustomersAsync(CancellationToken cancellationToken) =>
        await database.QueryAsync("SELECT customer_id, name, created_at FROM customers ORDER BY customer_id", ReadCustomer, cancellationToken).ConfigureAwait(false);

    public Task CreateApiKeyAsync(ApiKey key, CancellationToken cancellationToken) =>
        database.ExecuteAsync($"INSERT INTO api_keys ({KeyColumns}) VALUES ($id, $c, $name, $hash, $at, NULL, $scope, $expires)", cancellationToken,
            ("$id", key.KeyId), ("$c", key.CustomerId), ("$name", key.Name), ("$hash", key.TokenHash), ("$at", Ms(key.CreatedAt)), ("$scope", key.Scope.Name()),
            ("$expires", key.ExpiresAt is { } e ? Ms(e) : (object?)null));

    public async Task<ApiKey?> FindApiKeyAsync(string tokenHash, CancellationToken cancellationToken) =>
        (await database.QueryAsync($"SELECT {KeyColumns} FROM api_keys WHERE token_hash = $hash", ReadKey, cancellationToken,
            ("$hash", tokenHash)).ConfigureAwait(false)).FirstOrDefault();

    public async Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(string customerId, CancellationToken cancellationToken) =>
        await database.QueryAsync($"SELECT {KeyColumns} FROM api_keys WHERE customer_id = $c ORDER BY created_at, key_id", ReadKey, cancellationToken,
            ("$c", customerId)).ConfigureAwait(false);

    public async Task<bool> RevokeApiKeyAsync(string customerId, string keyId, DateTimeOffset at, CancellationToken cancellationToken) =>
        await database.ExecuteAsync("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $at) WHERE customer_id = $c AND key_id = $id", cancellationToken,
            ("$at", Ms(at)), ("$c", customerId), ("$id", keyId)).ConfigureAwait(false) == 1;

    private static Customer ReadCustomer(SqliteDataReader r) => new(r.GetString(0), r.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)));

    // A scope this Ferry does not know (a newer one wrote it) reads as the narrowest, never as more.
    private static ApiKey ReadKey(SqliteDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)), r.IsDBNull(5) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)),
        ApiKeyScopes.Parse(r.GetString(6)) ?? ApiKeyScope.Read, r.IsDBNull(7) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)));
}
