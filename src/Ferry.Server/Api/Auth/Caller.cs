using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Server.Api.Auth;

/// <summary>Who is calling: the admin (bootstrap key) or one customer's API key.</summary>
internal sealed record Caller(string? CustomerId, bool IsAdmin, string Actor)
{
    private const string ItemKey = "ferry.caller";

    public static Caller Of(HttpContext context) => (Caller)context.Items[ItemKey]!;

    /// <summary>True when the API-key check identified the caller (routes that also take other credentials ask).</summary>
    public static bool IsIdentified(HttpContext context) => context.Items.ContainsKey(ItemKey);

    public void AttachTo(HttpContext context) => context.Items[ItemKey] = this;

    /// <summary>The customer of a call on a customer-scoped route (see <see cref="CustomerScope"/>).</summary>
    public static string CustomerOf(HttpContext context) =>
        Of(context).CustomerId ?? throw new InvalidOperationException("this route is not mapped through CustomerScope");
}

/// <summary>Routes that act within one customer: the admin key gets a 403 before any handler runs.</summary>
internal static class CustomerScope
{
    public static RouteGroupBuilder MapCustomerGroup(this IEndpointRouteBuilder app, string prefix) =>
        app.MapGroup(prefix).AddEndpointFilter(async (context, next) => Caller.Of(context.HttpContext).CustomerId is null
            ? Problems.Status(StatusCodes.Status403Forbidden, "Forbidden", "The admin key manages customers and keys; use a customer's API key for endpoints, transfers and jobs.")
            : await next(context).ConfigureAwait(false));
}
