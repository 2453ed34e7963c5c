using Ferry.Core;
using Ferry.Core.Audit;
using Ferry.Core.Connectors;
using Ferry.Core.Endpoints;
using Ferry.Core.Errors;
using Ferry.Core.Jobs;
using Ferry.Core.Paths;
using Ferry.Core.Schedules;
using Ferry.Engine.Flows;
using Ferry.Engine.Jobs;
using Microsoft.Extensions.Logging;

namespace Ferry.Engine.Schedules;

/// <summary>
/// One run of a schedule: list the source, leave what is filtered out or still being written,
/// and create a job for each remaining file that has none yet. Creation is the idempotent insert
/// every transfer uses, so two runs at once (two processes, or a tick and a manual run) create
/// each job once.
/// </summary>
public sealed class ScheduleRunner(
    IScheduleStore schedules,
    IEndpointStore endpoints,
    IEndpointConnectors connectors,
    IJobStore jobs,
    IAuditLog audit,
    ScheduleOptions options,
    ILogger<ScheduleRunner> logger,
    TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Called with the customer and the number of jobs a run created (to wake workers, count backlog).</summary>
    public Action<string, int>? JobsCreated { get; set; }

    public async Task<ScheduleRun> RunAsync(Schedule schedule, RunCause cause, CancellationToken cancellationToken)
    {
        using var scope = logger.BeginScope(new Dictionary<string, object?> { ["schedule_id"] = schedule.ScheduleId, ["customer_id"] = schedule.CustomerId });
        var run = new ScheduleRun
        {
            RunId = Ids.Sequential("bat_", _time),
            ScheduleId = schedule.ScheduleId,
            CustomerId = schedule.CustomerId,
            Cause = cause,
            StartedAt = _time.GetUtcNow(),
        };
        var decisions = new List<FileDecision>();
        using var span = EngineTracing.StartScheduleRun(schedule, run.RunId, cause);
        try
        {
            run = await ExecuteAsync(schedule, run, decisions, cancellationToken).ConfigureAwait(false);
        }
        catch (FerryException ex)
        {
            logger.LogWarning("Schedule run {RunId} could not read its source: {ErrorCode} {Message}", run.RunId, ex.Code, ex.Message);
            run = run with { ErrorCode = ex.Code, ErrorMessage = ex.Message };
        }

        run = run with { FinishedAt = _time.GetUtcNow() };
        EngineTracing.ScheduleRunEnded(span, run);
        await schedules.AppendRunAsync(run, decisions.Take(options.MaxDecisionsPerRun).ToList(), options.KeepRuns, CancellationToken.None).ConfigureAwait(false);
        if (run.JobsCreated > 0)
        {
            await audit.AppendAsync(new AuditEntry(Ids.Sequential("aud_", _time), schedule.CustomerId, run.FinishedAt, Actor(schedule), "schedule.ran", "schedule",
                schedule.ScheduleId, $$"""{"batch_id":"{{run.RunId}}","jobs_created":{{run.JobsCreated}},"left":{{run.Left}}}"""), CancellationToken.None).ConfigureAwait(false);
        }

        return run;
    }

    private async Task<ScheduleRun> ExecuteAsync(Schedule schedule, ScheduleRun run, List<FileDecision> decisions, CancellationToken cancellationToken)
    {
        var source = await UsableAsync(schedule.CustomerId, schedule.SourceEndpointId, "source", EndpointDirection.Inbound, cancellationToken).ConfigureAwait(false);
        var target = await UsableAsync(schedule.CustomerId, schedule.TargetEndpointId, "target", EndpointDirection.Outbound, cancellationToken).ConfigureAwait(false);
        using var lease = await connectors.GetAsync(source, cancellationToken).ConfigureAwait(false);
        var connector = lease.Connector;
        var root = RemotePath.Normalize(schedule.SourcePath);
        var (listing, truncated) = await SourceListing.ReadAsync(connector, root, schedule.Recursive, options.MaxFilesPerRun, keep: null, cancellationToken).ConfigureAwait(false);
        if (truncated)
        {
            logger.LogWarning("Schedule run {RunId}: the source holds more than {Max} files; the rest wait for later runs", run.RunId, options.MaxFilesPerRun);
        }

        var selection = new FileSelection(schedule);
        var zone = ScheduleTiming.FindTimeZone(schedule.Trigger.TimeZone);
        var now = _time.GetUtcNow();
        var candidates = new List<(string Relative, FileToTransfer File, string Key)>();
        foreach (var (relative, entry) in listing.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            if (selection.IsMarker(relative))
            {
                continue;
            }

            if (selection.Check(relative, entry, listing, now) is var (reason, detail))
            {
                decisions.Add(Left(run, relative, reason, detail));
                continue;
            }

            var file = new FileToTransfer(entry, RemotePath.Combine(root, relative).TrimStart('/'), PathTemplate.Render(schedule.TargetPath, relative, entry.LastModified, zone));
            candidates.Add((relative, file, FileJobs.Key(schedule.CustomerId, source.EndpointId, file, target.EndpointId)));
        }

        // Files sent before are only counted: most runs of a schedule see mostly those.
        var existing = await jobs.FindExistingKeysAsync(schedule.CustomerId, candidates.Select(c => c.Key).ToList(), cancellationToken).ConfigureAwait(false);
        var already = candidates.Count(c => existing.Contains(c.Key));
        candidates.RemoveAll(c => existing.Contains(c.Key));
        candidates = await KeepStableAsync(schedule, connector, root, run, candidates, decisions, cancellationToken).ConfigureAwait(false);

        var capacity = Math.Max(0, options.MaxActiveJobsPerCustomer - await jobs.CountActiveAsync(schedule.CustomerId, cancellationToken).ConfigureAwait(false));
        foreach (var over in candidates.Skip(capacity))
        {
            decisions.Add(Left(run, over.Relative, DecisionReasons.QueueFull,
                $"the customer already has {options.MaxActiveJobsPerCustomer} jobs queued or running; taken by a later run"));
        }

        candidates = candidates.Take(capacity).ToList();
        var policy = JobPolicy.FromJson(schedule.PolicyJson);
        var created = await jobs.CreateBatchAsync(
            candidates.Select(c => FileJobs.Submit(schedule.CustomerId, source, target, c.File, c.Key, run.RunId,
                policy with { AfterSuccess = ForFile(schedule.AfterSuccess, c.Relative, c.File.Source, zone) }, now, Actor(schedule))).ToList(),
            cancellationToken).ConfigureAwait(false);
        var fresh = 0;
        for (var i = 0; i < created.Count; i++)
        {
            if (created[i].Created)
            {
                fresh++;
                decisions.Add(new FileDecision(run.RunId, candidates[i].Relative, Taken: true, DecisionReasons.NewFile,
                    $"job {created[i].Job.JobId} to {candidates[i].File.TargetPath}", created[i].Job.JobId, now));
            }
            else
            {
                already++; // another run created it a moment ago
            }
        }

        if (fresh > 0)
        {
            JobsCreated?.Invoke(schedule.CustomerId, fresh);
            logger.LogInformation("Schedule run {RunId} created {Jobs} jobs", run.RunId, fresh);
        }

        return run with
        {
            FilesSeen = listing.Count,
            JobsCreated = fresh,
            AlreadyTransferred = already,
            Left = decisions.Count(d => !d.Taken),
        };
    }

    /// <summary>Looks again after <see cref="Schedule.StableFor"/>: a file whose size or time moved is still being written.</summary>
    private async Task<List<(string Relative, FileToTransfer File, string Key)>> KeepStableAsync(
        Schedule schedule, IConnector connector, string root, ScheduleRun run, List<(string Relative, FileToTransfer File, string Key)> candidates,
        List<FileDecision> decisions, CancellationToken cancellationToken)
    {
        if (schedule.StableFor <= TimeSpan.Zero || candidates.Count == 0)
        {
            return candidates;
        }

        await Task.Delay(schedule.StableFor, _time, cancellationToken).ConfigureAwait(false);
        var (second, _) = await SourceListing.ReadAsync(connector, root, schedule.Recursive, options.MaxFilesPerRun, keep: null, cancellationToken).ConfigureAwait(false);
        var stable = new List<(string, FileToTransfer, string)>();
        foreach (var c in candidates)
        {
            if (FileSelection.CheckStable(c.File.Source, second.GetValueOrDefault(c.Relative), schedule.StableFor) is var (reason, detail))
            {
                decisions.Add(Left(run, c.Relative, reason, detail));
            }
            else
            {
                stable.Add(c);
            }
        }

        return stable;
    }

    private async Task<Endpoint> UsableAsync(string customerId, string endpointId, string side, EndpointDirection forbidden, CancellationToken cancellationToken)
    {
        var endpoint = await endpoints.GetAsync(customerId, endpointId, cancellationToken).ConfigureAwait(false)
            ?? throw FerryException.Permanent(ErrorCodes.NotFound, $"the {side} endpoint {endpointId} no longer exists");
        if (endpoint.Status != EndpointStatus.Active)
        {
            throw FerryException.Permanent(ErrorCodes.InvalidConfiguration, $"the {side} endpoint {endpointId} is DISABLED; activate it to resume this schedule");
        }

        return endpoint.Direction == forbidden
            ? throw FerryException.Permanent(ErrorCodes.InvalidConfiguration, $"the {side} endpoint {endpointId} is {forbidden.ToString().ToUpperInvariant()} only")
            : endpoint;
    }

    /// <summary>The schedule's post-action for one file: a move's archive template rendered to that file's path.</summary>
    private static SourceAction ForFile(SourceAction action, string relative, RemoteEntry file, TimeZoneInfo zone) =>
        action.Kind == SourceActionKind.Move ? action with { ArchivePath = PathTemplate.Render(action.ArchivePath!, relative, file.LastModified, zone) } : action;

    private FileDecision Left(ScheduleRun run, string relative, string reason, string detail) =>
        new(run.RunId, relative, Taken: false, reason, detail, JobId: null, _time.GetUtcNow());

    private static string Actor(Schedule schedule) => "schedule:" + schedule.ScheduleId;
}
