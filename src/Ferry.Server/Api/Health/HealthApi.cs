using Ferry.Core.Jobs;
using Ferry.Engine.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Server.Api.Health;

/// <summary>/healthz: the process answers. /readyz: the store answers and the engine runs.</summary>
internal static class HealthApi
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" }));
        app.MapGet("/readyz", async (IJobStore jobs, JobEngine engine, CancellationToken ct) =>
        {
            try
            {
                await jobs.CountActiveAsync("readyz", ct).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready", detail: $"The job store does not answer: {ex.GetType().Name}");
            }

            return engine.IsReady
                ? Results.Ok(new { status = "ready", running_here = engine.Running })
                : Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready", detail: "The engine is not running.");
        });
    }
}
