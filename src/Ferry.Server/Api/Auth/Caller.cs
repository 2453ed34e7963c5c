using Ferry.Core.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Server.Api.Auth;

/// <summary>Who is calling: the admin (bootstrap key) or one customer's API key, with what that key may do.</summary>
internal sealed record Caller(string? CustomerId, bool IsAdmin, string Actor, ApiKeyScope Scope = ApiKeyScope.Full)
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

/// <summary>
/// Routes that act within one customer: the admin key gets a 403 before any handler runs, and so
/// does a key whose scope is short of what the route needs: <see cref="ApiKeyScope.Read"/> for a
/// GET, <see cref="ApiKeyScope.Full"/> for any other method unless the route asks for less
/// (<see cref="RequireScope{TBuilder}"/>). A new route is therefore closed to narrow keys until it says otherwise.
/// </summary>
internal static class CustomerScope
{
    public static RouteGroupBuilder MapCustomerGroup(this IEndpointRouteBuilder app, string prefix) =>
        app.MapGroup(prefix).AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var caller = Caller.Of(http);
            if (caller.CustomerId is null)
            {
                return Problems.Status(StatusCodes.Status403Forbidden, "Forbidden", "The admin key manages customers and keys; use a customer's API key for endpoints, transfers and jobs.");
            }

            var needed = Needed(http);
            return caller.Scope.Allows(needed) ? await next(context).ConfigureAwait(false) : Refusal(http, caller, needed);
        });

    /// <summary>Lets keys of <paramref name="scope"/> (and wider) call this route.</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, ApiKeyScope scope) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ScopeRequirement(scope));

    /// <summary>The 403 for a key whose scope is short of <paramref name="needed"/> (also for routes outside the customer groups).</summary>
    public static IResult Refusal(HttpContext http, Caller caller, ApiKeyScope needed) =>
        Problems.Status(StatusCodes.Status403Forbidden, "Forbidden",
            $"API key {caller.Actor} has scope '{caller.Scope.Name()}'; {http.Request.Method} {http.Request.Path} needs '{needed.Name()}'. The admin issues keys with a wider scope.",
            "insufficient-scope");

    private static ApiKeyScope Needed(HttpContext http) =>
        http.GetEndpoint()?.Metadata.GetMetadata<ScopeRequirement>()?.Scope
        ?? (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) ? ApiKeyScope.Read : ApiKeyScope.Full);

    private sealed record ScopeRequirement(ApiKeyScope Scope);
}
