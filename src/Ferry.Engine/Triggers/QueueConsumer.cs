using System.Text.Json;
using Ferry.Core.Endpoints;
using Ferry.Core.Errors;
using Ferry.Core.Triggers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Engine.Triggers;

/// <summary>
/// Consumes the SQS queues triggers name: one long-polling loop per ACTIVE trigger with a queue,
/// started and stopped as triggers change (checked every 10 s). Each message (S3 JSON, or the
/// same in an SNS envelope) goes through <see cref="EventIntake"/> and is deleted only once that
/// returned, i.e. once its jobs are in the store; when the source cannot be checked the message is
/// left for the queue to deliver again. A message that is not an S3 notification is deleted and
/// logged, so it cannot block the queue.
/// </summary>
public sealed class QueueConsumer(
    ITriggerStore triggers,
    IEndpointStore endpoints,
    IEventQueues queues,
    EventIntake intake,
    ILogger<QueueConsumer> logger,
    TimeProvider? time = null) : BackgroundService
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, (string QueueUrl, CancellationTokenSource Stop, Task Loop)> _loops = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            do
            {
                try
                {
                    await ReconcileLoopsAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogError(ex, "Could not read the triggers with queues; trying again in 10 s");
                }
            }
            while (!await WaitAsync(TimeSpan.FromSeconds(10), stoppingToken).ConfigureAwait(false));
        }
        finally
        {
            foreach (var (_, stop, loop) in _loops.Values)
            {
                await stop.CancelAsync().ConfigureAwait(false);
                await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                stop.Dispose();
            }
        }
    }

    /// <summary>Starts a loop for each new queued trigger, stops those whose trigger is gone, paused or points elsewhere.</summary>
    private async Task ReconcileLoopsAsync(CancellationToken stoppingToken)
    {
        var wanted = (await triggers.ListQueuedAsync(stoppingToken).ConfigureAwait(false))
            .Where(t => t.Status == TriggerStatus.Active)
            .ToDictionary(t => t.TriggerId, StringComparer.Ordinal);
        foreach (var (id, (url, stop, loop)) in _loops.ToList())
        {
            if (!wanted.TryGetValue(id, out var t) || t.SqsQueueUrl != url || loop.IsCompleted)
            {
                await stop.CancelAsync().ConfigureAwait(false);
                await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                stop.Dispose();
                _loops.Remove(id);
            }
        }

        foreach (var trigger in wanted.Values.Where(t => !_loops.ContainsKey(t.TriggerId)))
        {
            var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            _loops[trigger.TriggerId] = (trigger.SqsQueueUrl!, stop, Task.Run(() => ConsumeAsync(trigger, stop.Token), CancellationToken.None));
        }
    }

    private async Task ConsumeAsync(Trigger trigger, CancellationToken ct)
    {
        using var scope = logger.BeginScope(new Dictionary<string, object?> { ["trigger_id"] = trigger.TriggerId, ["customer_id"] = trigger.CustomerId });
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var source = await endpoints.GetAsync(trigger.CustomerId, trigger.SourceEndpointId, ct).ConfigureAwait(false)
                    ?? throw FerryException.Permanent(ErrorCodes.NotFound, $"the source endpoint {trigger.SourceEndpointId} no longer exists");
                using var queue = await queues.OpenAsync(source, trigger.SqsQueueUrl!, ct).ConfigureAwait(false);
                logger.LogInformation("Consuming S3 events from {QueueUrl}", trigger.SqsQueueUrl);
                while (!ct.IsCancellationRequested)
                {
                    foreach (var message in await queue.ReceiveAsync(ct).ConfigureAwait(false))
                    {
                        if (await HandleAsync(trigger, message, ct).ConfigureAwait(false))
                        {
                            await queue.DeleteAsync(message.Receipt, ct).ConfigureAwait(false);
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (FerryException ex)
            {
                var wait = ex.IsTransient ? TimeSpan.FromSeconds(5) : TimeSpan.FromMinutes(1);
                logger.LogWarning("Queue {QueueUrl}: {ErrorCode} {Message}; trying again in {Seconds} s", trigger.SqsQueueUrl, ex.Code, ex.Message, wait.TotalSeconds);
                await WaitAsync(wait, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>True when the message is done with (jobs created, or nothing to do); false to leave it for redelivery.</summary>
    private async Task<bool> HandleAsync(Trigger trigger, QueuedMessage message, CancellationToken ct)
    {
        IReadOnlyList<S3ObjectEvent> records;
        try
        {
            using var document = JsonDocument.Parse(message.Body);
            (records, var error, _) = S3EventMessage.Parse(document.RootElement);
            if (error is not null)
            {
                logger.LogWarning("Deleted a queue message that is not an S3 notification: {Error}", error);
                return true;
            }
        }
        catch (JsonException ex)
        {
            logger.LogWarning("Deleted a queue message that is not JSON: {Message}", ex.Message);
            return true;
        }

        if (records.Count == 0)
        {
            return true; // s3:TestEvent, SNS confirmations
        }

        var current = await triggers.GetAsync(trigger.CustomerId, trigger.TriggerId, ct).ConfigureAwait(false);
        if (current is null)
        {
            return false; // deleted meanwhile: this loop is about to stop; leave the message to whoever reads the queue next
        }

        try
        {
            foreach (var outcome in await intake.AcceptAsync([current], records, ct).ConfigureAwait(false))
            {
                logger.LogInformation("Queued event s3://{Bucket}/{Key}: {Outcome} {JobId} {Detail}", outcome.Bucket, outcome.Key, outcome.Outcome, outcome.JobId, outcome.Detail);
            }

            return true;
        }
        catch (FerryException ex) when (ex.IsTransient)
        {
            logger.LogWarning("Could not check the object of a queued event ({ErrorCode} {Message}); the queue will deliver it again", ex.Code, ex.Message);
            return false;
        }
    }

    /// <summary>Waits; true when cancelled.</summary>
    private async Task<bool> WaitAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, _time, ct).ConfigureAwait(false);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }
}
