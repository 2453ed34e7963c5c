using Ferry.Core;
using Ferry.Core.Audit;
using Ferry.Core.Endpoints;
using Ferry.Core.Jobs;
using Ferry.Core.Schedules;
using Ferry.Core.Secrets;
using Ferry.Core.Triggers;
using Ferry.Server.Api.Auth;
using Ferry.Server.Api.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Server.Api.Endpoints;

/// <summary>
/// DELETE /v1/endpoints/{id}: removes an endpoint nothing depends on any more, with its
/// credentials. Refused (409, naming what still uses it) while a schedule or trigger names it or
/// a job on it is unfinished; finished jobs keep its id in their history. The checks and the
/// delete are separate reads and one conditional write (no multi-item transaction, as every store
/// allows): a job submitted in between fails at dispatch saying the endpoint no longer exists.
/// </summary>
internal static class EndpointDeletion
{
    public static void Map(RouteGroupBuilder group) => group.MapDelete("/{endpointId}", DeleteAsync);

    internal sealed record Services(
        IEndpointStore Endpoints, ISecretStore Secrets, IJobStore Jobs, IScheduleStore Schedules, ITriggerStore Triggers, IEndpointConnectors Connectors,
        IAuditLog Audit, TimeProvider Time);

    private static async Task<IResult> DeleteAsync(string endpointId, HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        var customerId = Caller.CustomerOf(http);
        var current = await s.Endpoints.GetAsync(customerId, endpointId, ct).ConfigureAwait(false);
        if (current is null)
        {
            return Problems.NotFound($"Endpoint {endpointId}");
        }

        if (IfMatch.Check(http, "endpoint", current.Version, required: false) is { } precondition)
        {
            return precondition;
        }

        if (await UsedByAsync(s, customerId, endpointId, ct).ConfigureAwait(false) is { } user)
        {
            return Problems.Conflict($"Endpoint {endpointId} is still used by {user}. Delete or repoint that first (deactivate the endpoint to stop new jobs meanwhile).",
                "endpoint-in-use");
        }

        if (!await s.Endpoints.DeleteAsync(customerId, endpointId, current.Version, ct).ConfigureAwait(false))
        {
            return IfMatch.Conflict("Endpoint", endpointId);
        }

        s.Connectors.Forget(endpointId);
        if (current.SecretRef is { } secret)
        {
            // After the record: a failure here leaves an unreferenced secret, never an endpoint without its credentials.
            await s.Secrets.DeleteAsync(customerId, secret, CancellationToken.None).ConfigureAwait(false);
        }

        await s.Audit.AppendAsync(new AuditEntry(Ids.Sequential("aud_"), customerId, s.Time.GetUtcNow(), Caller.Of(http).Actor, "endpoint.deleted", "endpoint",
            endpointId, "{}"), ct).ConfigureAwait(false);
        return Results.NoContent();
    }

    /// <summary>The first schedule, trigger or unfinished job that names the endpoint, described for a person; null when none does.</summary>
    private static async Task<string?> UsedByAsync(Services s, string customerId, string endpointId, CancellationToken ct)
    {
        string? cursor = null;
        do
        {
            var page = await s.Schedules.ListAsync(customerId, cursor, 1000, ct).ConfigureAwait(false);
            if (page.Schedules.Select(x => x.Schedule).FirstOrDefault(x => x.SourceEndpointId == endpointId || x.TargetEndpointId == endpointId) is { } schedule)
            {
                return $"schedule {schedule.ScheduleId} (\"{schedule.Name}\")";
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);

        do
        {
            var page = await s.Triggers.ListAsync(customerId, cursor, 1000, ct).ConfigureAwait(false);
            if (page.Triggers.FirstOrDefault(x => x.SourceEndpointId == endpointId || x.TargetEndpointId == endpointId) is { } trigger)
            {
                return $"trigger {trigger.TriggerId} (\"{trigger.Name}\")";
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);

        foreach (var status in Enum.GetValues<JobStatus>().Where(x => !JobStateMachine.IsTerminal(x)))
        {
            var jobs = await s.Jobs.ListAsync(new JobQuery(customerId, Status: status, EndpointId: endpointId, Limit: 1), ct).ConfigureAwait(false);
            if (jobs.Jobs.Count > 0)
            {
                return $"{JobView.StatusName(status)} job {jobs.Jobs[0].JobId} (cancel it or let it finish)";
            }
        }

        return null;
    }
}
