using Ferry.Core.Audit;
using Ferry.Server.Api.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Server.Api.Audit;

internal sealed record AuditView(string AuditId, DateTimeOffset At, string Actor, string Action, string EntityType, string EntityId, System.Text.Json.JsonElement? Changes);

/// <summary>GET /v1/audit: the customer's audit trail, newest first.</summary>
internal static class AuditApi
{
    public static void Map(IEndpointRouteBuilder app) => app.MapCustomerGroup("/v1/audit").MapGet("", async (HttpContext http, IAuditLog audit, string? entity_id, string? cursor, int? limit, CancellationToken ct) =>
    {
        var customerId = Caller.CustomerOf(http);

        if (limit is < 1 or > 1000)
        {
            return Problems.Field("limit", "must be between 1 and 1000");
        }

        try
        {
            var page = await audit.ListAsync(new AuditQuery(customerId, entity_id, cursor, limit ?? 100), ct).ConfigureAwait(false);
            return Results.Ok(new
            {
                entries = page.Entries.Select(e => new AuditView(e.AuditId, e.At, e.Actor, e.Action, e.EntityType, e.EntityId,
                    e.Changes is null ? null : System.Text.Json.JsonDocument.Parse(e.Changes).RootElement)),
                next_cursor = page.NextCursor,
            });
        }
        catch (ArgumentException)
        {
            return Problems.Field("cursor", "is not a cursor this server issued");
        }
    });
}
