using Ferry.Core;
using Ferry.Core.Audit;
using Ferry.Core.Endpoints;
using Ferry.Core.Jobs;
using Ferry.Core.Tenancy;
using Ferry.Engine.Jobs;
using Ferry.Server.Api.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Server.Api.Jobs;

/// <summary>/v1/jobs: read, list, cancel, re-drive, history.</summary>
internal static class JobsApi
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapCustomerGroup("/v1/jobs");
        group.MapGet("", ListAsync);
        group.MapGet("/{jobId}", GetAsync);
        group.MapGet("/{jobId}/events", EventsAsync);
        group.MapPost("/{jobId}/cancel", CancelAsync).RequireScope(ApiKeyScope.Transfer);
        group.MapPost("/{jobId}/redrive", RedriveAsync).RequireScope(ApiKeyScope.Transfer);
    }

    internal sealed record Services(IJobStore Jobs, IEndpointStore Endpoints, IAuditLog Audit, JobEngine Engine, TimeProvider Time);

    /// <summary>404, or 410 for a job the retention removed: it existed, and how it ended is still known.</summary>
    private static async Task<IResult> MissingAsync(Services s, string customerId, string jobId, CancellationToken ct) =>
        await s.Jobs.GetPrunedAsync(customerId, jobId, ct).ConfigureAwait(false) is { } pruned
            ? Problems.Status(StatusCodes.Status410Gone, "Job removed",
                $"Job {jobId} finished {JobView.StatusName(pruned.Status)} at {pruned.FinishedAt:u}; its record and history were removed by the job retention (Ferry:JobRetentionDays).",
                "job-pruned", new Dictionary<string, object?> { ["status"] = JobView.StatusName(pruned.Status), ["finished_at"] = pruned.FinishedAt })
            : Problems.NotFound($"Job {jobId}");

    private static async Task<IResult> ListAsync(
        HttpContext http, [AsParameters] Services s, string? status, string? endpoint_id, string? batch_id, DateTimeOffset? created_from,
        DateTimeOffset? created_before, string? cursor, int? limit, CancellationToken ct)
    {
        var customerId = Caller.CustomerOf(http);

        var errors = new FieldErrors();
        JobStatus? wanted = null;
        if (status is not null)
        {
            if (Enum.TryParse<JobStatus>(status, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !status.Any(char.IsDigit))
            {
                wanted = parsed;
            }
            else
            {
                errors.Add("status", "must be one of RECEIVED, QUEUED, RUNNING, VERIFYING, SUCCEEDED, FAILED, CANCELLED");
            }
        }

        if (limit is < 1 or > 1000)
        {
            errors.Add("limit", "must be between 1 and 1000");
        }

        if (errors.Any)
        {
            return errors.ToResult();
        }

        try
        {
            var page = await s.Jobs.ListAsync(new JobQuery(customerId, wanted, batch_id, endpoint_id, created_from, created_before, cursor, limit ?? 100), ct)
                .ConfigureAwait(false);
            return Results.Ok(new { jobs = page.Jobs.Select(j => JobView.From(j)), next_cursor = page.NextCursor });
        }
        catch (ArgumentException)
        {
            return Problems.Field("cursor", "is not a cursor this server issued");
        }
    }

    private static async Task<IResult> GetAsync(string jobId, HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        var customerId = Caller.CustomerOf(http);

        var job = await s.Jobs.GetAsync(customerId, jobId, ct).ConfigureAwait(false);
        return job is null
            ? await MissingAsync(s, customerId, jobId, ct).ConfigureAwait(false)
            : Results.Ok(JobView.From(job, await s.Jobs.GetEventsAsync(customerId, jobId, ct).ConfigureAwait(false)));
    }

    private static async Task<IResult> EventsAsync(string jobId, HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        var customerId = Caller.CustomerOf(http);

        var events = await s.Jobs.GetEventsAsync(customerId, jobId, ct).ConfigureAwait(false);
        return events.Count == 0 ? await MissingAsync(s, customerId, jobId, ct).ConfigureAwait(false) : Results.Ok(new { events = events.Select(EventView.Of) });
    }

    private static async Task<IResult> CancelAsync(string jobId, HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        var customerId = Caller.CustomerOf(http);

        var actor = Caller.Of(http).Actor;
        // A claim may land between the read and the write: the conditional write then fails, and we read again.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var job = await s.Jobs.GetAsync(customerId, jobId, ct).ConfigureAwait(false);
            if (job is null)
            {
                return await MissingAsync(s, customerId, jobId, ct).ConfigureAwait(false);
            }

            if (job.Status == JobStatus.Cancelled)
            {
                return Results.Ok(JobView.From(job));
            }

            if (!JobStateMachine.CanMove(job.Status, JobStatus.Cancelled))
            {
                return Problems.Conflict($"Job {jobId} is {JobView.StatusName(job.Status)}; only RECEIVED or QUEUED jobs can be cancelled.", "not-cancellable");
            }

            var cancelled = await s.Jobs.ApplyAsync(JobStateMachine.Cancel(job, s.Time.GetUtcNow(), actor), ct).ConfigureAwait(false);
            if (cancelled is not null)
            {
                await s.Audit.AppendAsync(new AuditEntry(Ids.Sequential("aud_"), customerId, s.Time.GetUtcNow(), actor, "job.cancelled", "job", jobId), ct).ConfigureAwait(false);
                return Results.Ok(JobView.From(cancelled));
            }
        }

        return Problems.Conflict($"Job {jobId} kept changing while it was being cancelled; read it and try again.");
    }

    private static async Task<IResult> RedriveAsync(string jobId, HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        var customerId = Caller.CustomerOf(http);

        var original = await s.Jobs.GetAsync(customerId, jobId, ct).ConfigureAwait(false);
        if (original is null)
        {
            return await MissingAsync(s, customerId, jobId, ct).ConfigureAwait(false);
        }

        // FAILED: try again. SUCCEEDED: deliver the file again (a partner asking for a resend), which
        // a new transfer request cannot do: its jobs' idempotency keys are the file's identity.
        if (original.Status is not (JobStatus.Failed or JobStatus.Succeeded))
        {
            return Problems.Conflict($"Job {jobId} is {JobView.StatusName(original.Status)}; only FAILED and SUCCEEDED jobs can be re-driven.", "not-redrivable");
        }

        foreach (var endpointId in new[] { original.SourceEndpointId, original.TargetEndpointId })
        {
            var endpoint = await s.Endpoints.GetAsync(customerId, endpointId, ct).ConfigureAwait(false);
            if (endpoint is null)
            {
                return Problems.Conflict($"Endpoint {endpointId} was deleted; a re-drive needs both of the job's endpoints. Submit a new transfer instead.", "endpoint-deleted");
            }

            if (endpoint.Status != EndpointStatus.Active)
            {
                return Problems.Conflict($"Endpoint {endpointId} is not ACTIVE; activate it before re-driving.", "endpoint-inactive");
            }
        }

        var (sourcePath, policyJson, gone) = ResendSource(original);
        if (gone is not null)
        {
            return Problems.Conflict(gone, "source-deleted");
        }

        var now = s.Time.GetUtcNow();
        var actor = Caller.Of(http).Actor;
        var redrive = original with
        {
            JobId = Ids.Sequential("job_"),
            SourcePath = sourcePath,
            PolicyJson = policyJson,
            // One re-drive per job: asking twice returns the first.
            IdempotencyKey = "redrive:" + original.JobId,
            RedriveOf = original.JobId,
            TraceParent = RequestTrace.Current,
            Status = JobStatus.Received,
            Attempts = 0,
            ErrorCode = null,
            ErrorMessage = null,
            Bytes = null,
            Sha256 = null,
            Checkpoint = null,
            ExecutionRegion = null,
            NextAttemptAt = null,
            LeaseOwner = null,
            LeaseToken = 0,
            LeaseExpiresAt = null,
            Version = 0,
            CreatedAt = now,
            UpdatedAt = now,
        };
        var created = (await s.Jobs.CreateBatchAsync([JobStateMachine.Submit(redrive, actor)], ct).ConfigureAwait(false))[0];
        if (!created.Created)
        {
            return Results.Ok(JobView.From(created.Job));
        }

        s.Engine.Wake();
        await s.Audit.AppendAsync(new AuditEntry(Ids.Sequential("aud_"), customerId, now, actor, "job.redriven", "job", created.Job.JobId,
            $$"""{"redrive_of":"{{original.JobId}}"}"""), ct).ConfigureAwait(false);
        return Results.Created($"/v1/jobs/{created.Job.JobId}", JobView.From(created.Job));
    }

    /// <summary>
    /// Where a re-drive reads the file, and its policy. A FAILED job is tried again as it was. A
    /// SUCCEEDED job's post-action has run: a resend never runs it again, reads an archived file
    /// from its archive path, and cannot send a deleted one (the third value says why).
    /// </summary>
    private static (string SourcePath, string? PolicyJson, string? Gone) ResendSource(TransferJob original)
    {
        var policy = JobPolicy.FromJson(original.PolicyJson);
        if (original.Status != JobStatus.Succeeded || policy.AfterSuccess.Kind == SourceActionKind.None)
        {
            return (original.SourcePath, original.PolicyJson, null);
        }

        var resend = (policy with { AfterSuccess = SourceAction.None }).ToJson();
        return policy.AfterSuccess.Kind == SourceActionKind.Move
            ? (policy.AfterSuccess.ArchivePath!, resend, null)
            : (original.SourcePath, resend,
                $"Job {original.JobId} deleted its source ({original.SourcePath}) once the file was delivered (its after_success action), so there is nothing left to send again.");
    }
}
