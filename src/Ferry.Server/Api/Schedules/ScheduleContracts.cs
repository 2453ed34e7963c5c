using Ferry.Core.Jobs;
using Ferry.Core.Schedules;
using Ferry.Server.Api.Jobs;
using Ferry.Server.Api.Transfers;

namespace Ferry.Server.Api.Schedules;

/// <summary>POST /v1/schedules, and PATCH (where every field is optional and replaces the stored one).</summary>
internal sealed record ScheduleBody(
    string? Name,
    ScheduleSourceInput? Source,
    LocationInput? Target,
    PolicyInput? Policy,
    TriggerInput? Trigger,
    double? MinAgeSeconds,
    double? StableSeconds,
    List<string>? MarkerSuffixes,
    AfterSuccessInput? AfterSuccess);

/// <summary>The directory or prefix a schedule lists, and which files under it it takes.</summary>
internal sealed record ScheduleSourceInput(string? EndpointId, string? Path, List<string>? Include, List<string>? Exclude, bool? Recursive);

/// <summary>Exactly one of cron (with an optional IANA time zone) and interval_seconds.</summary>
internal sealed record TriggerInput(string? Cron, string? TimeZone, double? IntervalSeconds);

internal sealed record ScheduleSourceView(string EndpointId, string Path, IReadOnlyList<string> Include, IReadOnlyList<string> Exclude, bool Recursive);

internal sealed record TriggerView(string? Cron, string? TimeZone, double? IntervalSeconds);

internal sealed record ScheduleView(
    string ScheduleId, string Name, string Status, ScheduleSourceView Source, LocationView Target, PolicyView Policy, TriggerView Trigger,
    double MinAgeSeconds, double StableSeconds, IReadOnlyList<string> MarkerSuffixes, AfterSuccessView AfterSuccess, DateTimeOffset? NextRunAt, DateTimeOffset? LastRunAt,
    long Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static ScheduleView From(Schedule s, ScheduleState state) => new(
        s.ScheduleId, s.Name, s.Status.ToString().ToUpperInvariant(),
        new ScheduleSourceView(s.SourceEndpointId, s.SourcePath, s.Include, s.Exclude, s.Recursive),
        new LocationView(s.TargetEndpointId, s.TargetPath),
        PolicyView.From(JobPolicy.FromJson(s.PolicyJson)),
        s.Trigger.Interval is { } i ? new TriggerView(null, null, i.TotalSeconds) : new TriggerView(s.Trigger.Cron, s.Trigger.TimeZone, null),
        s.MinAge.TotalSeconds, s.StableFor.TotalSeconds, s.MarkerSuffixes, AfterSuccessView.From(s.AfterSuccess), state.NextRunAt, state.LastRunAt, s.Version, s.CreatedAt, s.UpdatedAt);
}

internal sealed record RunView(
    string RunId, string BatchId, string Cause, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, int FilesSeen, int JobsCreated,
    int AlreadyTransferred, int Left, string? ErrorCode, string? ErrorMessage)
{
    public static RunView From(ScheduleRun r) => new(r.RunId, r.RunId, r.Cause.ToString().ToLowerInvariant(), r.StartedAt, r.FinishedAt, r.FilesSeen,
        r.JobsCreated, r.AlreadyTransferred, r.Left, r.ErrorCode, r.ErrorMessage);
}

internal sealed record DecisionView(string RunId, string Path, string Decision, string Reason, string Detail, string? JobId, DateTimeOffset At)
{
    public static DecisionView From(FileDecision d) => new(d.RunId, d.Path, d.Taken ? "taken" : "left", d.Reason, d.Detail, d.JobId, d.At);
}
