using Microsoft.AspNetCore.Http;

namespace Ferry.Server.Api.Auth;

/// <summary>Who is calling: the admin (bootstrap key) or one customer's API key.</summary>
internal sealed record Caller(string? CustomerId, bool IsAdmin, string Actor)
{
    private const string ItemKey = "ferry.caller";

    public static Caller Of(HttpContext context) => (Caller)context.Items[ItemKey]!;

    public void AttachTo(HttpContext context) => context.Items[ItemKey] = this;

    /// <summary>The customer the call is scoped to, or a 403 for the admin key (it owns no endpoints or jobs).</summary>
    public static bool TryCustomer(HttpContext context, out string customerId, out IResult? problem)
    {
        var caller = Of(context);
        customerId = caller.CustomerId ?? "";
        problem = caller.CustomerId is null
            ? Problems.Status(StatusCodes.Status403Forbidden, "Forbidden", "The admin key manages customers and keys; use a customer's API key for endpoints, transfers and jobs.")
            : null;
        return problem is null;
    }
}
