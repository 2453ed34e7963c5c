using Ferry.Core;
using Ferry.Core.Audit;
using Ferry.Core.Endpoints;
using Ferry.Core.Errors;
using Ferry.Core.Jobs;
using Ferry.Core.Tenancy;
using Ferry.Engine.Flows;
using Ferry.Engine.Jobs;
using Ferry.Server.Api.Auth;
using Ferry.Server.Api.Jobs;
using Ferry.Server.Api.Json;
using Ferry.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

using Endpoint = Ferry.Core.Endpoints.Endpoint;

namespace Ferry.Server.Api.Transfers;

internal sealed record TransferResponse(string BatchId, int Created, int Existing, IReadOnlyList<JobView> Jobs);

/// <summary>
/// POST /v1/transfers: expands the source into files and creates one job per file, idempotently:
/// the same file (same identity: size, mtime, ETag) between the same places maps to the same job,
/// so a retried request or a replayed event never moves a file twice.
/// </summary>
internal static class TransfersApi
{
    public static void Map(IEndpointRouteBuilder app) => app.MapCustomerGroup("/v1/transfers").MapPost("", CreateAsync).RequireScope(ApiKeyScope.Transfer);

    internal sealed record Services(
        IJobStore Jobs, IEndpointStore Endpoints, IEndpointConnectors Connectors, IAuditLog Audit, JobEngine Engine, ActiveJobCounts Active, FerryOptions Options, TimeProvider Time);

    private static async Task<IResult> CreateAsync(HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        var customerId = Caller.CustomerOf(http);

        var (body, problem) = await JsonBody.ReadAsync<TransferCreate>(http.Request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return problem!;
        }

        var errors = new FieldErrors();
        TransferInput.CheckLocation(errors, "source", body.Source);
        TransferInput.CheckLocation(errors, "target", body.Target);
        var policy = TransferInput.Policy(errors, body.Policy);
        var clientKey = http.Request.Headers["Idempotency-Key"].ToString();
        if (http.Request.Headers.ContainsKey("Idempotency-Key") && !TransferInput.IsValidIdempotencyKey(clientKey))
        {
            errors.Add("Idempotency-Key", "must be 1-255 visible ASCII characters");
        }

        if (errors.Any)
        {
            return errors.ToResult();
        }

        var source = await s.Endpoints.GetAsync(customerId, body.Source!.EndpointId!, ct).ConfigureAwait(false);
        var target = await s.Endpoints.GetAsync(customerId, body.Target!.EndpointId!, ct).ConfigureAwait(false);
        CheckEndpoint(errors, "source.endpoint_id", source, EndpointDirection.Outbound);
        CheckEndpoint(errors, "target.endpoint_id", target, EndpointDirection.Inbound);
        if (errors.Any)
        {
            return errors.ToResult();
        }

        var batchId = clientKey.Length > 0 ? FileJobs.ClientBatchId(customerId, clientKey) : Ids.Sequential("bat_");
        if (clientKey.Length > 0 && await ReplayAsync(s, customerId, batchId, source!, target!, ct).ConfigureAwait(false) is { } replay)
        {
            return replay;
        }

        var active = await s.Active.GetAsync(customerId, ct).ConfigureAwait(false);
        if (active >= s.Options.MaxActiveJobsPerCustomer)
        {
            return Problems.TooManyRequests(http, 30, $"{active} jobs are still queued or running (the limit is {s.Options.MaxActiveJobsPerCustomer}); try again when some have finished.");
        }

        IReadOnlyList<FileToTransfer> files;
        try
        {
            using var connector = await s.Connectors.GetAsync(source!, ct).ConfigureAwait(false);
            files = await SourceExpander.ExpandAsync(connector.Connector, body.Source.Path!, body.Target.Path!, Math.Min(s.Options.MaxFilesPerRequest, s.Options.MaxActiveJobsPerCustomer - active), ct)
                .ConfigureAwait(false);
        }
        catch (ExpansionException ex)
        {
            return ex.TooMany && s.Options.MaxActiveJobsPerCustomer - active < s.Options.MaxFilesPerRequest
                ? Problems.TooManyRequests(http, 30, $"the source {ex.Message}: more than this customer's remaining queue capacity ({s.Options.MaxActiveJobsPerCustomer - active} jobs)")
                : Problems.Field("source.path", ex.Message);
        }
        catch (FerryException ex) when (ex.IsTransient)
        {
            http.Response.Headers.RetryAfter = "5";
            return Problems.Status(StatusCodes.Status503ServiceUnavailable, "Source unavailable", $"Listing the source failed for now: {ex.Message}", "source-unavailable");
        }
        catch (FerryException ex)
        {
            return Problems.Status(StatusCodes.Status422UnprocessableEntity, "Source cannot be read", ex.Message, "source-unreadable",
                new Dictionary<string, object?> { ["error_code"] = ex.Code });
        }

        var now = s.Time.GetUtcNow();
        var actor = Caller.Of(http).Actor;
        var submissions = files.Select(f => FileJobs.Submit(customerId, source!, target!, f,
            clientKey.Length > 0 ? FileJobs.ClientKey(customerId, clientKey, f.SourcePath) : FileJobs.Key(customerId, source!.EndpointId, f, target!.EndpointId),
            batchId, policy!, now, actor)).ToList();
        // The request is audited as asked (files and places), written alongside the jobs rather
        // than after them: concurrent writes share one commit, and a second commit per request
        // cost a third of the API's throughput. Which jobs were new is in each job's history.
        var audited = s.Audit.AppendAsync(new AuditEntry(Ids.Sequential("aud_"), customerId, now, actor, "transfer.requested", "batch", batchId,
            $$"""{"files":{{files.Count}},"source_endpoint_id":"{{source!.EndpointId}}","target_endpoint_id":"{{target!.EndpointId}}"}"""), ct);
        var creating = s.Jobs.CreateBatchAsync(submissions, ct);
        await Task.WhenAll(audited, creating).ConfigureAwait(false);
        var created = await creating.ConfigureAwait(false);
        var fresh = created.Count(c => c.Created);
        if (fresh > 0)
        {
            s.Active.Created(customerId, fresh);
            s.Engine.Wake();
        }

        var response = new TransferResponse(batchId, fresh, created.Count - fresh, created.Select(JobView.From).ToList());
        return fresh > 0 ? Results.Created($"/v1/jobs?batch_id={batchId}", response) : Results.Ok(response);
    }

    /// <summary>A request repeated with the same Idempotency-Key: the jobs the first one created.</summary>
    private static async Task<IResult?> ReplayAsync(Services s, string customerId, string batchId, Endpoint source, Endpoint target, CancellationToken ct)
    {
        var jobs = new List<TransferJob>();
        string? cursor = null;
        do
        {
            var page = await s.Jobs.ListAsync(new JobQuery(customerId, BatchId: batchId, Cursor: cursor, Limit: 1000), ct).ConfigureAwait(false);
            jobs.AddRange(page.Jobs);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        if (jobs.Count == 0)
        {
            return null;
        }

        if (jobs.Any(j => j.SourceEndpointId != source.EndpointId || j.TargetEndpointId != target.EndpointId))
        {
            return Problems.Status(StatusCodes.Status422UnprocessableEntity, "Idempotency-Key reused",
                "This Idempotency-Key was used for a different transfer; use a new key for a new request.", "idempotency-key-reused");
        }

        jobs.Reverse();
        return Results.Ok(new TransferResponse(batchId, 0, jobs.Count, jobs.Select(j => JobView.From(j)).ToList()));
    }

    /// <summary>The endpoint exists, is ACTIVE and may be used in this direction (forbidden: the direction it is limited to).</summary>
    internal static void CheckEndpoint(FieldErrors errors, string field, Endpoint? endpoint, EndpointDirection forbidden)
    {
        if (endpoint is null)
        {
            errors.Add(field, "no such endpoint");
        }
        else if (endpoint.Status != EndpointStatus.Active)
        {
            errors.Add(field, $"endpoint {endpoint.EndpointId} is {endpoint.Status.ToString().ToUpperInvariant()}; activate it first");
        }
        else if (endpoint.Direction == forbidden)
        {
            errors.Add(field, $"endpoint {endpoint.EndpointId} is {forbidden.ToString().ToUpperInvariant()} only");
        }
    }
}
