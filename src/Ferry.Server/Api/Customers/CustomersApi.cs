using System.Text.Json;
using System.Text.RegularExpressions;
using Ferry.Core;
using Ferry.Core.Audit;
using Ferry.Core.Tenancy;
using Ferry.Server.Api.Auth;
using Ferry.Server.Api.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Server.Api.Customers;

internal sealed record CustomerCreate(string? CustomerId, string? Name);

/// <param name="Scope">read, transfer or full (the default): see <see cref="ApiKeyScope"/>.</param>
/// <param name="ExpiresAt">When the key stops working (RFC 3339, in the future, within 10 years); never when left out.</param>
internal sealed record ApiKeyCreate(string? Name, string? Scope, DateTimeOffset? ExpiresAt);

internal sealed record CustomerView(string CustomerId, string Name, DateTimeOffset CreatedAt);

internal sealed record ApiKeyView(string KeyId, string Name, string Scope, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, string? Token = null)
{
    public static ApiKeyView Of(ApiKey key, string? token = null) => new(key.KeyId, key.Name, key.Scope.Name(), key.CreatedAt, key.ExpiresAt, key.RevokedAt, token);
}

internal sealed record CustomerCreated(string CustomerId, string Name, DateTimeOffset CreatedAt, ApiKeyView ApiKey);

/// <summary>The admin API: customers and their API keys. Tokens are shown once, at creation.</summary>
internal static partial class CustomersApi
{
    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,62}$")]
    private static partial Regex CustomerIdPattern();

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/customers").AddEndpointFilter(async (ctx, next) =>
            Caller.Of(ctx.HttpContext).IsAdmin ? await next(ctx).ConfigureAwait(false)
                : Problems.Status(StatusCodes.Status403Forbidden, "Forbidden", "Only the admin key manages customers and API keys."));
        group.MapPost("", CreateAsync);
        group.MapGet("", async (ITenantStore tenants, CancellationToken ct) =>
            Results.Ok(new { customers = (await tenants.ListCustomersAsync(ct).ConfigureAwait(false)).Select(c => new CustomerView(c.CustomerId, c.Name, c.CreatedAt)) }));
        group.MapPost("/{customerId}/api-keys", CreateKeyAsync);
        group.MapGet("/{customerId}/api-keys", async (string customerId, ITenantStore tenants, CancellationToken ct) =>
            await tenants.GetCustomerAsync(customerId, ct).ConfigureAwait(false) is null
                ? Problems.NotFound($"Customer {customerId}")
                : Results.Ok(new { api_keys = (await tenants.ListApiKeysAsync(customerId, ct).ConfigureAwait(false)).Select(k => ApiKeyView.Of(k)) }));
        group.MapDelete("/{customerId}/api-keys/{keyId}", async (
            string customerId, string keyId, ITenantStore tenants, IAuditLog audit, ApiKeyAuthentication auth, TimeProvider time, CancellationToken ct) =>
        {
            if (!await tenants.RevokeApiKeyAsync(customerId, keyId, time.GetUtcNow(), ct).ConfigureAwait(false))
            {
                return Problems.NotFound($"API key {keyId} of customer {customerId}");
            }

            auth.Forget(keyId);

            await audit.AppendAsync(new AuditEntry(Ids.Sequential("aud_"), customerId, time.GetUtcNow(), "admin", "api_key.revoked", "api_key", keyId), ct).ConfigureAwait(false);
            return Results.NoContent();
        });
    }

    private static async Task<IResult> CreateAsync(HttpContext http, ITenantStore tenants, IAuditLog audit, TimeProvider time, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<CustomerCreate>(http.Request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return problem!;
        }

        var errors = new FieldErrors();
        var id = body.CustomerId ?? "cus-" + Guid.NewGuid().ToString("N")[..12];
        if (!CustomerIdPattern().IsMatch(id))
        {
            errors.Add("customer_id", "must be 2-63 lowercase letters, digits or '-', starting with a letter or digit");
        }

        if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 200 || body.Name.Any(char.IsControl))
        {
            errors.Add("name", "is required: 1-200 characters without control characters");
        }

        if (errors.Any)
        {
            return errors.ToResult();
        }

        var now = time.GetUtcNow();
        var customer = new Customer(id, body.Name!.Trim(), now);
        if (!await tenants.CreateCustomerAsync(customer, ct).ConfigureAwait(false))
        {
            return Problems.Conflict($"Customer {id} already exists.");
        }

        var (key, token) = ApiKey.Issue(id, "initial", now);
        await tenants.CreateApiKeyAsync(key, ct).ConfigureAwait(false);
        await audit.AppendAsync(new AuditEntry(Ids.Sequential("aud_"), id, now, "admin", "customer.created", "customer", id), ct).ConfigureAwait(false);
        return Results.Created($"/v1/customers/{id}", new CustomerCreated(id, customer.Name, now, ApiKeyView.Of(key, token)));
    }

    private static async Task<IResult> CreateKeyAsync(string customerId, HttpContext http, ITenantStore tenants, IAuditLog audit, TimeProvider time, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<ApiKeyCreate>(http.Request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return problem!;
        }

        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 100 || body.Name.Any(char.IsControl))
        {
            errors.Add("name", "is required: 1-100 characters without control characters");
        }

        var scope = body.Scope is null ? ApiKeyScope.Full : ApiKeyScopes.Parse(body.Scope);
        if (scope is null)
        {
            errors.Add("scope", "must be read, transfer or full");
        }

        var now = time.GetUtcNow();
        if (body.ExpiresAt is { } expires && (expires <= now || expires > now.AddYears(10)))
        {
            errors.Add("expires_at", "must be a time in the future, at most 10 years away");
        }

        if (errors.Any)
        {
            return errors.ToResult();
        }

        if (await tenants.GetCustomerAsync(customerId, ct).ConfigureAwait(false) is null)
        {
            return Problems.NotFound($"Customer {customerId}");
        }

        var (key, token) = ApiKey.Issue(customerId, body.Name!.Trim(), now, scope!.Value, body.ExpiresAt);
        await tenants.CreateApiKeyAsync(key, ct).ConfigureAwait(false);
        await audit.AppendAsync(new AuditEntry(Ids.Sequential("aud_"), customerId, now, "admin", "api_key.created", "api_key", key.KeyId,
            JsonSerializer.Serialize(new Dictionary<string, string?> { ["name"] = key.Name, ["scope"] = key.Scope.Name(), ["expires_at"] = key.ExpiresAt?.ToString("O") })), ct)
            .ConfigureAwait(false);
        return Results.Created($"/v1/customers/{customerId}/api-keys/{key.KeyId}", ApiKeyView.Of(key, token));
    }
}
