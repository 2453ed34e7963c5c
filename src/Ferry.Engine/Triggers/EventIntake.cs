using Ferry.Core.Endpoints;
using Ferry.Core.Errors;
using Ferry.Core.Jobs;
using Ferry.Core.Triggers;
using Microsoft.Extensions.Logging;

namespace Ferry.Engine.Triggers;

/// <summary>
/// Turns S3 ObjectCreated events into jobs. Events arrive twice, late and out of order, so each
/// one is checked before anything is created: a sequencer older than one already seen for the
/// key is stale; the object is looked up (HEAD) and the job is made for what is there now, with
/// the idempotency key every transfer uses, so a repeated event finds the job it created; and an
/// object Ferry itself delivered for a trigger never starts another transfer (no loops).
/// </summary>
public sealed class EventIntake(
    ITriggerStore triggers,
    IEndpointStore endpoints,
    IEndpointConnectors connectors,
    IJobStore jobs,
    ILogger<EventIntake> logger,
    TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Called with the customer and the number of jobs created (to wake workers, count backlog).</summary>
    public Action<string, int>? JobsCreated { get; set; }

    /// <summary>Matches each event against <paramref name="candidates"/> (one customer's triggers) and creates the jobs.</summary>
    public async Task<IReadOnlyList<EventOutcome>> AcceptAsync(IReadOnlyList<Trigger> candidates, IReadOnlyList<S3ObjectEvent> events, CancellationToken cancellationToken)
    {
        var outcomes = new List<EventOutcome>();
        var cache = new Dictionary<string, Endpoint?>();
        foreach (var e in events)
        {
            if (!e.IsObjectCreated)
            {
                outcomes.Add(new EventOutcome(e.Bucket, e.Key, EventOutcome.Ignored, Detail: $"{e.EventName} is not an ObjectCreated event"));
                continue;
            }

            var matched = false;
            foreach (var trigger in candidates)
            {
                var source = await EndpointAsync(cache, trigger.CustomerId, trigger.SourceEndpointId, cancellationToken).ConfigureAwait(false);
                var relative = source is null ? null : e.CandidateKeys().Select(k => TriggerJobs.Match(trigger, source, e.Bucket, k)).FirstOrDefault(r => r is not null);
                if (relative is null)
                {
                    continue;
                }

                matched = true;
                outcomes.Add(await AcceptOneAsync(trigger, source!, cache, e, relative, cancellationToken).ConfigureAwait(false));
            }

            if (!matched)
            {
                outcomes.Add(new EventOutcome(e.Bucket, e.Key, EventOutcome.Unmatched, Detail: "no trigger takes this bucket and key"));
            }
        }

        var created = outcomes.Count(o => o.Outcome == EventOutcome.Created);
        if (created > 0)
        {
            JobsCreated?.Invoke(candidates[0].CustomerId, created);
        }

        return outcomes;
    }

    private async Task<EventOutcome> AcceptOneAsync(
        Trigger trigger, Endpoint source, Dictionary<string, Endpoint?> cache, S3ObjectEvent e, string relative, CancellationToken cancellationToken)
    {
        EventOutcome Outcome(string outcome, string? detail = null, string? jobId = null) => new(e.Bucket, e.Key, outcome, trigger.TriggerId, jobId, detail);

        if (trigger.Status != TriggerStatus.Active)
        {
            return Outcome(EventOutcome.Ignored, "the trigger is PAUSED");
        }

        if (e.Sequencer is { } sequencer && Sequencers.IsValid(sequencer)
            && !await triggers.AdvanceSequencerAsync(trigger.TriggerId, relative, sequencer, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
        {
            return Outcome(EventOutcome.Stale, $"sequencer {sequencer} is older than an event already seen for this key");
        }

        var target = await EndpointAsync(cache, trigger.CustomerId, trigger.TargetEndpointId, cancellationToken).ConfigureAwait(false);
        if (source.Status != EndpointStatus.Active || target is not { Status: EndpointStatus.Active })
        {
            return Outcome(EventOutcome.Ignored, "the source or target endpoint is DISABLED or gone");
        }

        try
        {
            using var connector = await connectors.GetAsync(source, cancellationToken).ConfigureAwait(false);
            var entry = await connector.Connector.StatAsync(relative, cancellationToken).ConfigureAwait(false);
            if (entry is null)
            {
                return Outcome(EventOutcome.Ignored, "the object is gone (deleted since the event was sent)");
            }

            if (entry.DeliveredFor is { } deliveredFor)
            {
                return Outcome(EventOutcome.Ignored, $"Ferry delivered this object for trigger {deliveredFor}; deliveries made for a trigger never start another");
            }

            var submission = TriggerJobs.Submission(trigger, source, target, entry, relative, _time.GetUtcNow());
            var created = (await jobs.CreateBatchAsync([submission], cancellationToken).ConfigureAwait(false))[0];
            if (created.Created)
            {
                logger.LogInformation("Trigger {TriggerId}: job {JobId} for s3://{Bucket}/{Key}", trigger.TriggerId, created.Job.JobId, e.Bucket, e.Key);
            }

            return Outcome(created.Created ? EventOutcome.Created : EventOutcome.Existing, jobId: created.Job.JobId);
        }
        catch (FerryException ex) when (ex.Code == ErrorCodes.InvalidPath)
        {
            return Outcome(EventOutcome.Ignored, $"the key is not a path Ferry can transfer: {ex.Message}");
        }
    }

    private async Task<Endpoint?> EndpointAsync(Dictionary<string, Endpoint?> cache, string customerId, string endpointId, CancellationToken cancellationToken)
    {
        if (!cache.TryGetValue(endpointId, out var endpoint))
        {
            cache[endpointId] = endpoint = await endpoints.GetAsync(customerId, endpointId, cancellationToken).ConfigureAwait(false);
        }

        return endpoint;
    }
}
