using System.Diagnostics;
using Ferry.Core.Errors;
using Ferry.Core.Jobs;
using Ferry.Core.Schedules;

namespace Ferry.Engine.Jobs;

/// <summary>
/// The engine's spans, one per job attempt ("ferry.job.attempt"), with the job's ids, flow and
/// outcome as attributes, linked to the span of the request (or schedule run, "ferry.schedule.run")
/// that created the job. Costs nothing
/// unless a tracer listens (the server's OTLP exporter, when configured). Attributes carry ids,
/// paths, sizes and error codes; never credentials.
/// </summary>
public static class EngineTracing
{
    public const string SourceName = "Ferry.Engine";

    internal static readonly ActivitySource Source = new(SourceName);

    /// <summary>The attempt's span, linked to the traced request that created the job (a link, not a parent: attempts run long after their request ended).</summary>
    internal static Activity? StartAttempt(TransferJob job)
    {
        ActivityLink[]? links = ActivityContext.TryParse(job.TraceParent, null, isRemote: true, out var request) ? [new ActivityLink(request)] : null;
        var activity = Source.StartActivity("ferry.job.attempt", ActivityKind.Internal, parentContext: default, links: links);
        if (activity is null)
        {
            return null;
        }

        activity.SetTag("ferry.job_id", job.JobId);
        activity.SetTag("ferry.customer_id", job.CustomerId);
        activity.SetTag("ferry.flow", job.FlowType);
        activity.SetTag("ferry.attempt", job.Attempts);
        activity.SetTag("ferry.source.endpoint_id", job.SourceEndpointId);
        activity.SetTag("ferry.source.path", job.SourcePath);
        activity.SetTag("ferry.target.endpoint_id", job.TargetEndpointId);
        activity.SetTag("ferry.target.path", job.TargetPath);
        if (job.BatchId is { } batch)
        {
            activity.SetTag("ferry.batch_id", batch);
        }

        return activity;
    }

    /// <summary>
    /// A schedule's run: a child of the request for a manual run, a trace of its own for a tick.
    /// The jobs it creates link to it, as jobs created by an API call link to the call's span.
    /// </summary>
    internal static Activity? StartScheduleRun(Schedule schedule, string runId, RunCause cause)
    {
        var activity = Source.StartActivity("ferry.schedule.run", ActivityKind.Internal);
        activity?.SetTag("ferry.schedule_id", schedule.ScheduleId);
        activity?.SetTag("ferry.customer_id", schedule.CustomerId);
        activity?.SetTag("ferry.batch_id", runId);
        activity?.SetTag("ferry.run.cause", cause == RunCause.Tick ? "tick" : "manual");
        return activity;
    }

    internal static void ScheduleRunEnded(Activity? activity, ScheduleRun run)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("ferry.jobs_created", run.JobsCreated);
        activity.SetTag("ferry.files_left", run.Left);
        if (run.ErrorCode is { } code)
        {
            activity.SetTag("ferry.error_code", code);
            activity.SetStatus(ActivityStatusCode.Error, code);
        }
        else
        {
            activity.SetStatus(ActivityStatusCode.Ok);
        }
    }

    internal static void Succeeded(Activity? activity, long bytes)
    {
        activity?.SetTag("ferry.bytes", bytes);
        activity?.SetStatus(ActivityStatusCode.Ok);
    }

    internal static void Failed(Activity? activity, Exception ex)
    {
        if (activity is null)
        {
            return;
        }

        var code = ex is FerryException f ? f.Code : ex.GetType().Name;
        activity.SetTag("ferry.error_code", code);
        activity.SetStatus(ActivityStatusCode.Error, code);
    }
}
