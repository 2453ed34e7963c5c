using Ferry.Core.Jobs;

namespace Ferry.Server.Api.Jobs;

internal sealed record LocationView(string EndpointId, string Path);

/// <param name="ResumedFromByte">Set when the attempt continued an interrupted transfer: the bytes before it were already at the target.</param>
/// <param name="Notes">What the attempt recorded about how it went (a staged copy delivered, a rename fallback); left out when nothing.</param>
internal sealed record AttemptView(
    int Number, string? Worker, string? Region, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, string? Outcome, string? ErrorCode, string? ErrorMessage,
    long? ResumedFromByte = null, IReadOnlyList<string>? Notes = null);

internal sealed record PolicyView(
    string Overwrite, string Verify, int MaxAttempts, double InitialBackoffSeconds, double MaxBackoffSeconds, Transfers.AfterSuccessView? AfterSuccess)
{
    public static PolicyView From(JobPolicy p) =>
        new(JobView.Snake(p.Overwrite.ToString()), JobView.Snake(p.Verify.ToString()), p.Retry.MaxAttempts, p.Retry.InitialBackoff.TotalSeconds, p.Retry.MaxBackoff.TotalSeconds,
            p.AfterSuccess.Kind == SourceActionKind.None ? null : Transfers.AfterSuccessView.From(p.AfterSuccess));
}

/// <summary>
/// How far an unfinished job's transfer has got, from the checkpoint its worker saves with each
/// lease renewal (every third of Ferry:LeaseSeconds): the bytes the target has confirmed holding,
/// a lower bound that moves in steps (8 MiB for SFTP part files, a part for S3 uploads).
/// <paramref name="AsOf"/> is when the worker saved it. Transfers that take no checkpoints (a
/// single PUT, a server-side copy) show none.
/// </summary>
internal sealed record ProgressView(long BytesAtTarget, long TotalBytes, DateTimeOffset AsOf)
{
    public static ProgressView? Of(TransferJob j) =>
        !j.IsTerminal && TransferCheckpoint.Parse(j.Checkpoint) is { } c ? new ProgressView(c.Write?.Offset ?? 0, c.Source.Size, j.UpdatedAt) : null;
}

internal sealed record JobView(
    string JobId, string Status, string FlowType, LocationView Source, LocationView Target, string? BatchId, string? RedriveOf,
    int AttemptCount, IReadOnlyList<AttemptView>? Attempts, long? Bytes, string? Sha256, string? ErrorCode, string? ErrorMessage,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, double? DurationSeconds,
    double? BytesPerSecond, DateTimeOffset? NextAttemptAt, string? ExecutionRegion, PolicyView Policy, bool? Pruned = null, ProgressView? Progress = null)
{
    public static string StatusName(JobStatus s) => s.ToString().ToUpperInvariant();

    /// <summary>The job; with its history, also its attempts and timings.</summary>
    public static JobView From(TransferJob j, IReadOnlyList<JobEvent>? events = null)
    {
        var attempts = events is null ? null : BuildAttempts(events);
        var started = attempts?.FirstOrDefault()?.StartedAt;
        DateTimeOffset? finished = j.IsTerminal ? j.UpdatedAt : null;
        double? duration = started is { } s && finished is { } f ? (f - s).TotalSeconds : null;
        var p = JobPolicy.FromJson(j.PolicyJson);
        return new JobView(j.JobId, StatusName(j.Status), j.FlowType, new(j.SourceEndpointId, j.SourcePath), new(j.TargetEndpointId, j.TargetPath),
            j.BatchId, j.RedriveOf, j.Attempts, attempts, j.Bytes, j.Sha256, j.ErrorCode, j.ErrorMessage, j.CreatedAt, j.UpdatedAt, started, finished,
            duration, duration > 0 && j.Status == JobStatus.Succeeded ? j.Bytes / duration : null, j.IsTerminal ? null : j.NextAttemptAt, j.ExecutionRegion,
            PolicyView.From(p), Progress: ProgressView.Of(j));
    }

    /// <summary>
    /// A job a transfer request created or found. One the retention removed (the file was
    /// transferred long ago) shows its id, status and finish time, with "pruned": true.
    /// </summary>
    public static JobView From(JobCreation c) => c.Pruned ? From(c.Job) with { Pruned = true } : From(c.Job);

    internal static string Snake(string pascal) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(pascal);

    /// <summary>Each claim opens an attempt; a retry, failure, success or release closes it.</summary>
    private static List<AttemptView> BuildAttempts(IReadOnlyList<JobEvent> events)
    {
        var attempts = new List<AttemptView>();
        foreach (var e in events)
        {
            switch (e.Kind)
            {
                case "claimed":
                    attempts.Add(new AttemptView(attempts.Count + 1, e.Actor, Region(e.Detail), e.At, null, null, null, null));
                    break;
                case "lease-taken-over" when attempts.Count > 0:
                    attempts[^1] = attempts[^1] with { Outcome = attempts[^1].Outcome ?? "worker_lost" };
                    attempts.Add(attempts[^1] with { Worker = e.Actor, Region = Region(e.Detail), StartedAt = e.At, EndedAt = null, Outcome = null, ResumedFromByte = null, Notes = null });
                    break;
                case "resumed" when attempts.Count > 0:
                    attempts[^1] = attempts[^1] with { ResumedFromByte = JobStateMachine.ResumedFrom(e) };
                    break;
                case "note" when attempts.Count > 0 && e.Detail is { } note:
                    attempts[^1] = attempts[^1] with { Notes = [.. attempts[^1].Notes ?? [], note] };
                    break;
                case "retry-scheduled" or "failed" or "succeeded" or "lease-released" when attempts.Count > 0:
                    var (code, message) = SplitError(e.Detail);
                    attempts[^1] = attempts[^1] with
                    {
                        EndedAt = e.At,
                        Outcome = e.Kind switch { "retry-scheduled" => "retrying", "lease-released" => "released", _ => e.Kind },
                        ErrorCode = code,
                        ErrorMessage = message,
                    };
                    break;
            }
        }

        return attempts;
    }

    private static string? Region(string? detail) =>
        detail is not null && detail.StartsWith("region ", StringComparison.Ordinal) ? detail[7..].Split(';')[0] : null;

    private static (string? Code, string? Message) SplitError(string? detail)
    {
        if (detail is null)
        {
            return (null, null);
        }

        var colon = detail.IndexOf(": ", StringComparison.Ordinal);
        return colon < 0 ? (detail, null) : (detail[..colon], detail[(colon + 2)..]);
    }
}

internal sealed record EventView(long Version, string From, string To, DateTimeOffset At, string Actor, string Kind, string? Detail)
{
    public static EventView Of(JobEvent e) => new(e.Version, JobView.StatusName(e.From), JobView.StatusName(e.To), e.At, e.Actor, e.Kind, e.Detail);
}
