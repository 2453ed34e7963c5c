using System.Diagnostics;

namespace Ferry.Core.Jobs;

/// <summary>The traced request a job is created in (API call, S3 event, re-drive, schedule run), for <see cref="TransferJob.TraceParent"/>.</summary>
public static class RequestTrace
{
    /// <summary>The W3C traceparent of the current span when a tracer records it; null otherwise (tracing off).</summary>
    public static string? Current => Activity.Current is { Recorded: true } request ? request.Id : null;
}
