using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Core.Endpoints;

namespace Ferry.Stores.Sqlite;

/// <summary>
/// Endpoints as JSON documents keyed by id with the customer and version beside them: the shape a
/// document store (DynamoDB) keeps too, and no schema change when an endpoint kind grows a setting.
/// </summary>
public sealed class SqliteEndpointStore(SqliteDatabase database) : IEndpointStore
{
    internal static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    // Parsed documents by id, reused while the stored version is the one parsed. Every request for
    // a transfer reads both of its endpoints, and parsing the JSON document was most of the cost of
    // a read; the row is still read every time, so another process's update is seen at once.
    // Sound because every update moves the version (UpdateAsync insists).
    private const int MaxParsed = 10_000;
    private readonly ConcurrentDictionary<string, Endpoint> _parsed = new(StringComparer.Ordinal);

    public async Task<bool> CreateAsync(Endpoint endpoint, CancellationToken cancellationToken) =>
        await database.ExecuteAsync("INSERT INTO endpoints (endpoint_id, customer_id, version, document) VALUES ($id, $c, $v, $doc) ON CONFLICT DO NOTHING",
            cancellationToken, ("$id", endpoint.EndpointId), ("$c", endpoint.CustomerId), ("$v", endpoint.Version),
            ("$doc", JsonSerializer.Serialize(endpoint, Json))).ConfigureAwait(false) == 1;

    public async Task<Endpoint?> GetAsync(string customerId, string endpointId, CancellationToken cancellationToken) =>
        (await database.QueryAsync("SELECT version, document FROM endpoints WHERE endpoint_id = $id AND customer_id = $c", r => ReadReusingParsed(r, endpointId), cancellationToken,
            ("$id", endpointId), ("$c", customerId)).ConfigureAwait(false)).FirstOrDefault();

    public async Task<EndpointPage> ListAsync(string customerId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        limit = Math.Clamp(limit, 1, 1000);
        var rows = await database.QueryAsync(
            $"SELECT document FROM endpoints WHERE customer_id = $c AND endpoint_id > $after ORDER BY endpoint_id LIMIT {limit + 1}", Read, cancellationToken,
            ("$c", customerId), ("$after", cursor ?? "")).ConfigureAwait(false);
        return new EndpointPage(rows.Take(limit).ToList(), rows.Count > limit ? rows[limit - 1].EndpointId : null);
    }

    public async Task<bool> UpdateAsync(Endpoint after, long expectedVersion, CancellationToken cancellationToken)
    {
        if (after.Version <= expectedVersion)
        {
            throw new ArgumentException($"an update must move the version forward (from {expectedVersion}, not to {after.Version})", nameof(after));
        }

        return await database.ExecuteAsync("UPDATE endpoints SET version = $v, document = $doc WHERE endpoint_id = $id AND customer_id = $c AND version = $expected",
            cancellationToken, ("$v", after.Version), ("$doc", JsonSerializer.Serialize(after, Json)), ("$id", after.EndpointId),
            ("$c", after.CustomerId), ("$expected", expectedVersion)).ConfigureAwait(false) == 1;
    }

    public async Task<bool> DeleteAsync(string customerId, string endpointId, long expectedVersion, CancellationToken cancellationToken)
    {
        var deleted = await database.ExecuteAsync("DELETE FROM endpoints WHERE endpoint_id = $id AND customer_id = $c AND version = $expected",
            cancellationToken, ("$id", endpointId), ("$c", customerId), ("$expected", expectedVersion)).ConfigureAwait(false) == 1;
        if (deleted)
        {
            _parsed.TryRemove(endpointId, out _);
        }

        return deleted;
    }

    /// <summary>The row's endpoint: the one parsed before if the version is the same, else the document parsed now.</summary>
    private Endpoint ReadReusingParsed(Microsoft.Data.Sqlite.SqliteDataReader r, string endpointId)
    {
        var version = r.GetInt64(0);
        if (_parsed.TryGetValue(endpointId, out var known) && known.Version == version)
        {
            return known;
        }

        var endpoint = Parse(r.GetString(1));
        if (_parsed.Count >= MaxParsed)
        {
            _parsed.Clear();
        }

        _parsed[endpointId] = endpoint;
        return endpoint;
    }

    private static Endpoint Read(Microsoft.Data.Sqlite.SqliteDataReader r) => Parse(r.GetString(0));

    private static Endpoint Parse(string document) =>
        JsonSerializer.Deserialize<Endpoint>(document, Json) ?? throw new InvalidDataException("an endpoint row holds null");
}
