using System.Diagnostics;
using Ferry.Core.Errors;
using Ferry.Core.Jobs;

namespace Ferry.Engine.Jobs;

/// <summary>
/// The engine's spans, one per job attempt ("ferry.job.attempt"), with the job's ids, flow and
/// outcome as attributes, linked to the span of the request that created the job. Costs nothing
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
