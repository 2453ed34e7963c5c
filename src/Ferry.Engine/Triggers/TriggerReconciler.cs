using Ferry.Core.Endpoints;
using Ferry.Core.Jobs;
using Ferry.Core.Paths;
using Ferry.Core.Triggers;
using Ferry.Engine.Flows;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Engine.Triggers;

/// <summary>
/// The safety net under event delivery: for each trigger with <see cref="Trigger.ReconcileEvery"/>
/// set, lists its prefix now and then and creates the jobs lost events would have created. Each
/// object is looked up (HEAD) like an event's, so it maps to the same idempotency key and an
/// object already sent is only counted; objects Ferry delivered for a trigger are skipped.
/// Several processes may sweep the same trigger: job creation is idempotent, so that costs
/// listings, not duplicates.
/// </summary>
public sealed class TriggerReconciler(
    ITriggerStore triggers,
    IEndpointStore endpoints,
    IEndpointConnectors connectors,
    IJobStore jobs,
    ILogger<TriggerReconciler> logger,
    TimeProvider? time = null) : BackgroundService
{
    /// <summary>Objects one sweep of one trigger looks at; the rest wait for the next sweep.</summary>
    public const int MaxObjectsPerSweep = 10_000;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, DateTimeOffset> _lastSwept = new(StringComparer.Ordinal);

    /// <summary>Called with the customer and the number of jobs created (to wake workers, count backlog).</summary>
    public Action<string, int>? JobsCreated { get; set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5), _time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                foreach (var trigger in await triggers.ListReconcilingAsync(stoppingToken).ConfigureAwait(false))
                {
                    var now = _time.GetUtcNow();
                    if (trigger.Status == TriggerStatus.Active && trigger.ReconcileEvery is { } every
                        && (!_lastSwept.TryGetValue(trigger.TriggerId, out var last) || now - last >= every))
                    {
                        _lastSwept[trigger.TriggerId] = now;
                        await SweepAsync(trigger, stoppingToken).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(ex, "Trigger reconciliation failed; trying again at the next sweep");
            }
        }
    }

    /// <summary>One sweep of one trigger; returns the outcome per object that had no job yet.</summary>
    public async Task<IReadOnlyList<EventOutcome>> SweepAsync(Trigger trigger, CancellationToken cancellationToken)
    {
        var source = await endpoints.GetAsync(trigger.CustomerId, trigger.SourceEndpointId, cancellationToken).ConfigureAwait(false);
        var target = await endpoints.GetAsync(trigger.CustomerId, trigger.TargetEndpointId, cancellationToken).ConfigureAwait(false);
        if (source is not { Status: EndpointStatus.Active, S3: { } s3 } || target is not { Status: EndpointStatus.Active })
        {
            logger.LogWarning("Trigger {TriggerId}: not reconciled, an endpoint is DISABLED or gone", trigger.TriggerId);
            return [];
        }

        using var lease = await connectors.GetAsync(source, cancellationToken).ConfigureAwait(false);
        var connector = lease.Connector;
        var root = RemotePath.Normalize(Trigger.RootOf(trigger.Prefix));
        var (listing, truncated) = await SourceListing.ReadAsync(connector, root, recursive: true, MaxObjectsPerSweep, keep: null, cancellationToken)
            .ConfigureAwait(false);
        if (truncated)
        {
            logger.LogWarning("Trigger {TriggerId}: more than {Max} objects under {Root}; the rest wait for the next sweep", trigger.TriggerId, MaxObjectsPerSweep, root);
        }

        var now = _time.GetUtcNow();
        var submissions = new List<JobSubmission>();
        foreach (var listed in listing.Values)
        {
            var path = RemotePath.Normalize(listed.Path);
            if (!trigger.Takes(path))
            {
                continue;
            }

            // The event path's view of the object (HEAD), so both reach the same idempotency key.
            var entry = await connector.StatAsync(path, cancellationToken).ConfigureAwait(false);
            if (entry is { DeliveredFor: null })
            {
                submissions.Add(TriggerJobs.Submission(trigger, source, target, entry, path, now));
            }
        }

        var existing = await jobs.FindExistingKeysAsync(trigger.CustomerId, submissions.Select(s => s.Job.IdempotencyKey).ToList(), cancellationToken)
            .ConfigureAwait(false);
        submissions.RemoveAll(s => existing.Contains(s.Job.IdempotencyKey));
        var created = submissions.Count == 0 ? [] : await jobs.CreateBatchAsync(submissions, cancellationToken).ConfigureAwait(false);
        var fresh = created.Count(c => c.Created);
        if (fresh > 0)
        {
            logger.LogWarning("Trigger {TriggerId}: reconciliation found {Count} objects no event had brought (bucket {Bucket})", trigger.TriggerId, fresh, s3.Bucket);
            JobsCreated?.Invoke(trigger.CustomerId, fresh);
        }

        return created.Select(c => new EventOutcome(s3.Bucket, c.Job.SourcePath, c.Created ? EventOutcome.Created : EventOutcome.Existing, trigger.TriggerId, c.Job.JobId,
            "found by reconciliation")).ToList();
    }
}
