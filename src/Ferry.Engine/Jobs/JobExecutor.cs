using Ferry.Core;
using Ferry.Core.Audit;
using Ferry.Core.Connectors;
using Ferry.Core.Endpoints;
using Ferry.Core.Errors;
using Ferry.Core.Jobs;
using Ferry.Core.Triggers;
using Ferry.Engine.Flows;
using Microsoft.Extensions.Logging;

namespace Ferry.Engine.Jobs;

/// <summary>
/// Runs one claimed job to its next resting state: SUCCEEDED, FAILED, a retry scheduled, or the
/// lease given back on shutdown. Keeps the lease alive while the bytes move and stops the
/// transfer the moment it is lost.
/// </summary>
internal sealed class JobExecutor(
    IJobStore jobs,
    ILeftoverStore leftovers,
    IEndpointConnectors connectors,
    IAuditLog audit,
    EngineOptions options,
    EngineMetrics metrics,
    ILogger logger,
    TimeProvider time,
    Func<TransferJob, Task> failed)
{
    /// <summary>How many re-drives back a staged copy is looked for.</summary>
    private const int MaxRedriveChain = 16;

    private readonly TransferRunner _runner = new(time);
    private readonly FailedJobLeftovers _leftovers = new(leftovers, audit, options, logger, time);

    /// <param name="trailing">Gets the writes that follow a recorded success, for the caller to wait for after freeing the worker.</param>
    /// <param name="stopping">Cancelled when the process shuts down and the grace period is over.</param>
    public async Task RunAsync(LeasedJob held, JobEndpoints endpoints, bool isRetry, TrailingWrites trailing, CancellationToken stopping)
    {
        var job = held.Current;
        using var scope = logger.BeginScope(new Dictionary<string, object?>
        {
            ["job_id"] = job.JobId,
            ["customer_id"] = job.CustomerId,
            ["source_endpoint_id"] = job.SourceEndpointId,
            ["target_endpoint_id"] = job.TargetEndpointId,
        });
        using var span = EngineTracing.StartAttempt(job);
        using var transfer = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var heartbeatStop = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(held, transfer, heartbeatStop.Token);
        var policy = JobPolicy.FromJson(job.PolicyJson);
        var started = time.GetTimestamp();
        logger.LogInformation("Attempt {Attempt} of {Flow} {Source} -> {Target}", job.Attempts, job.FlowType, job.SourcePath, job.TargetPath);
        TransferRequest? request = null;
        var leases = new List<ConnectorLease>(2);
        try
        {
            request = await BuildRequestAsync(held, endpoints, policy, isRetry, leases, transfer.Token).ConfigureAwait(false);
            var (bytes, sha256, sent) = await DeliverAsync(held, request, policy, transfer.Token).ConfigureAwait(false);
            string? done = null;
            var fromStaging = options.Staging is not null && ReferenceEquals(request.Source.Connector, options.Staging);
            if (fromStaging)
            {
                // The re-drive used the failed job's staged copy; it has served its purpose.
                await Cleanup.DeleteQuietlyAsync(options.Staging!, request.Source.Path).ConfigureAwait(false);
                done = "re-driven from the staged copy; the source was not read again"
                    + (policy.AfterSuccess.Kind == SourceActionKind.None ? "" : ", so its post-action was not run");
            }
            else if (policy.AfterSuccess.Kind != SourceActionKind.None)
            {
                done = await PostActionAsync(request.Source, policy.AfterSuccess, sent!, job.JobId, bytes, sha256, transfer.Token).ConfigureAwait(false);
                logger.LogInformation("Post-action: {Done}", done);
            }

            await heartbeatStop.CancelAsync().ConfigureAwait(false);
            await heartbeat.ConfigureAwait(false);
            await held.ApplyAsync((j, now) => j.Status == JobStatus.Running
                ? JobStateMachine.SucceedOnDelivery(j, now, bytes, sha256, done)
                : JobStateMachine.Succeed(j, now, bytes, sha256, done), CancellationToken.None).ConfigureAwait(false);
            metrics.Finished(job.FlowType, "SUCCEEDED", bytes, time.GetElapsedTime(started));
            EngineTracing.Succeeded(span, bytes);
            logger.LogInformation("Succeeded: {Bytes} bytes, SHA-256 {Sha256} in {Seconds:F2} s", bytes, sha256, time.GetElapsedTime(started).TotalSeconds);
            trailing.Add(AuditAsync(job, "job.succeeded", $$"""{"bytes":{{bytes}},"sha256":"{{sha256}}"}"""), "the audit entry of its success");
        }
        catch (Exception ex)
        {
            EngineTracing.Failed(span, ex);
            await heartbeatStop.CancelAsync().ConfigureAwait(false);
            await heartbeat.ConfigureAwait(false);
            await SettleFailureAsync(held, policy, ex, stopping, time.GetElapsedTime(started), endpoints, request?.Target.Connector).ConfigureAwait(false);
        }
        finally
        {
            // The job is done with its endpoints' connectors (one an endpoint change replaced closes now).
            leases.ForEach(lease => lease.Dispose());
        }
    }

    /// <summary>
    /// Moves and verifies the bytes, leaving the job VERIFYING; returns what was delivered and
    /// the source version sent. A job that already passed verification on an earlier attempt
    /// (its post-action was interrupted) is not transferred again.
    /// </summary>
    private async Task<(long Bytes, string? Sha256, SourceVersion? Sent)> DeliverAsync(
        LeasedJob held, TransferRequest request, JobPolicy policy, CancellationToken cancellationToken)
    {
        var job = held.Current;
        if (job.Status == JobStatus.Verifying && SourceVersion.FromCheckpoint(job.Checkpoint) is { } verified)
        {
            logger.LogInformation("Delivered and verified by an earlier attempt; finishing the post-action");
            return (job.Bytes ?? verified.Size, job.Sha256, verified);
        }

        var result = await _runner.RunAsync(request, cancellationToken).ConfigureAwait(false);
        foreach (var note in result.Notes)
        {
            logger.LogInformation("Note: {Note}", note);
            await held.ApplyAsync((j, now) => JobStateMachine.Noted(j, now, note), CancellationToken.None).ConfigureAwait(false);
        }

        if (held.Current.Status == JobStatus.Running && policy.AfterSuccess.Kind != SourceActionKind.None)
        {
            // Checked at once (the write settled it, or the target already held an identical file):
            // VERIFYING is recorded now only because the post-action's checkpoint needs it. Without
            // one, VERIFYING and SUCCEEDED are written together (SucceedOnDelivery).
            await held.ApplyAsync((j, now) => JobStateMachine.StartVerifying(j, now, result.Bytes, result.Sha256), CancellationToken.None).ConfigureAwait(false);
        }

        logger.LogInformation("Delivered {Bytes} bytes{Skipped} in {Seconds:F2} s", result.Bytes, result.Skipped ? " (already at the target)" : "",
            result.Elapsed.TotalSeconds);
        var sent = result.Source is null ? null : SourceVersion.Of(result.Source);
        if (policy.AfterSuccess.Kind != SourceActionKind.None)
        {
            await held.ApplyAsync((j, now) => JobStateMachine.Verified(j, now, sent!), CancellationToken.None).ConfigureAwait(false);
        }

        return (result.Bytes, result.Sha256, sent);
    }

    private static async Task<string> PostActionAsync(
        TransferLocation source, SourceAction action, SourceVersion sent, string jobId, long bytes, string? sha256, CancellationToken cancellationToken)
    {
        try
        {
            return await SourcePostAction.RunAsync(source, action, sent, jobId, cancellationToken).ConfigureAwait(false);
        }
        catch (FerryException ex)
        {
            throw SourcePostAction.Failed(ex, action, source, bytes, sha256);
        }
    }

    /// <param name="leases">Gets the connectors the request holds, for the caller to let go of when the job is done with them.</param>
    private async Task<TransferRequest> BuildRequestAsync(
        LeasedJob held, JobEndpoints endpoints, JobPolicy policy, bool isRetry, List<ConnectorLease> leases, CancellationToken cancellationToken)
    {
        var job = held.Current;
        var source = endpoints.Source ?? throw Gone(job.SourceEndpointId);
        var target = endpoints.Target ?? throw Gone(job.TargetEndpointId);
        var hooks = new TransferHooks(
            BeforeCommit: held.EnsureHeldAsync,
            Delivered: (bytes, sha256, ct) => held.ApplyAsync((j, now) => JobStateMachine.StartVerifying(j, now, bytes, sha256), ct),
            Checkpointed: held.Checkpoint,
            Resuming: (kept, total, ct) =>
            {
                logger.LogInformation("Resuming: {Kept} of {Total} bytes are already at the target", kept, total);
                return held.ApplyAsync((j, now) => JobStateMachine.Resumed(j, now, kept, total), ct);
            });
        async Task<IConnector> HoldAsync(Endpoint endpoint)
        {
            var lease = await connectors.GetAsync(endpoint, cancellationToken).ConfigureAwait(false);
            leases.Add(lease);
            return lease.Connector;
        }

        var from = await StagedCopyAsync(job, source, target, cancellationToken).ConfigureAwait(false)
            ?? new TransferLocation(await HoldAsync(source).ConfigureAwait(false), job.SourcePath);
        return new TransferRequest(
            from,
            new TransferLocation(await HoldAsync(target).ConfigureAwait(false), job.TargetPath),
            job.JobId, policy.Transfer, options.Staging, Progress: null, IsRetry: isRetry || job.Attempts > 1, hooks, Trigger.OfBatch(job.BatchId),
            Resume: job.Status == JobStatus.Running ? TransferCheckpoint.Parse(job.Checkpoint) : null);
    }

    /// <summary>
    /// For a re-drive of an SFTP-to-SFTP job: the copy the failed job staged, if it is still
    /// there, so the file is delivered without pulling it from the partner again. A failed job
    /// that was itself a re-drive of the staged copy staged nothing: the copy is found further
    /// back, under the job that staged it (at most <see cref="MaxRedriveChain"/> jobs back).
    /// </summary>
    private async Task<TransferLocation?> StagedCopyAsync(TransferJob job, Endpoint source, Endpoint target, CancellationToken cancellationToken)
    {
        if (job.RedriveOf is null || options.Staging is not { } staging || source.Kind != EndpointKind.Sftp || target.Kind != EndpointKind.Sftp)
        {
            return null;
        }

        var original = job.RedriveOf;
        for (var back = 0; original is not null && back < MaxRedriveChain; back++)
        {
            var path = StagedFlow.StagedPath(original, job.SourcePath);
            if (await staging.StatAsync(path, cancellationToken).ConfigureAwait(false) is { IsDirectory: false })
            {
                logger.LogInformation("Re-drive of {Failed}: delivering the staged copy {Path}", job.RedriveOf, path);
                return new TransferLocation(staging, path);
            }

            original = (await jobs.GetAsync(job.CustomerId, original, cancellationToken).ConfigureAwait(false))?.RedriveOf;
        }

        logger.LogInformation("Re-drive of {Failed}: no staged copy left; reading the source again", job.RedriveOf);
        return null;
    }

    private static FerryException Gone(string endpointId) =>
        FerryException.Permanent(ErrorCodes.NotFound, $"endpoint {endpointId} no longer exists");

    /// <param name="target">The target's connector, when the attempt got that far: a partial write it keeps is discarded if the job fails for good.</param>
    private async Task SettleFailureAsync(LeasedJob held, JobPolicy policy, Exception ex, CancellationToken stopping, TimeSpan elapsed, JobEndpoints endpoints, IConnector? target)
    {
        var job = held.Current;
        try
        {
            if (ex is LeaseLostException)
            {
                metrics.LeaseLost();
                logger.LogWarning("Lost the lease; stopped without delivering. Another worker owns the job now.");
                return;
            }

            if (stopping.IsCancellationRequested)
            {
                // Whatever ended the attempt once shutdown began - the cancellation itself, or a
                // connection torn down under it first, which surfaces as a transient error - the
                // job is given back, not retried: a retry would spend one of its attempts (with
                // max_attempts 1, fail it) for a stop that was no fault of the transfer's.
                await held.ApplyAsync((j, now) => JobStateMachine.Release(j, now, held.CheckpointToSave(j)), CancellationToken.None).ConfigureAwait(false);
                logger.LogInformation("Shutting down: the lease was given back; the job continues on the next worker ({Ending}).",
                    ex is OperationCanceledException ? "cancelled" : ex.Message);
                return;
            }

            var error = ex as FerryException ?? (ex as OperationCanceledException is not null
                ? FerryException.Transient(ErrorCodes.Timeout, "the transfer was interrupted (lease lost or timed out)", ex)
                : FerryException.Transient(ErrorCodes.InternalError, $"unexpected {ex.GetType().Name}: {ex.Message}", ex));
            if (error.Code == ErrorCodes.ChecksumMismatch && target is not null && (held.LatestCheckpoint ?? TransferCheckpoint.Parse(job.Checkpoint)) is { } doubtful)
            {
                // The bytes kept at the target may be the wrong ones: the next attempt starts over
                // (an SFTP part file is then overwritten; a failed abort leaves an S3 upload to the
                // bucket's AbortIncompleteMultipartUpload rule).
                held.ForgetCheckpoint();
                await Cleanup.RemoveLeftoverAsync(target, doubtful.Write, null).ConfigureAwait(false);
            }

            if (error.IsTransient && job.Attempts < policy.Retry.MaxAttempts)
            {
                var wait = policy.Retry.Backoff(job.Attempts, Random.Shared);
                await held.ApplyAsync((j, now) => JobStateMachine.ScheduleRetry(j, now, now + wait, error.Code, error.Message, held.CheckpointToSave(j)), CancellationToken.None)
                    .ConfigureAwait(false);
                metrics.RetryScheduled(job.FlowType);
                logger.LogWarning("Attempt {Attempt} failed with {ErrorCode}: {Message}; retrying in {Seconds:F1} s", job.Attempts, error.Code, error.Message, wait.TotalSeconds);
                return;
            }

            var message = error.IsTransient ? $"{error.Message} (gave up after {job.Attempts} attempts)" : error.Message;
            var failedJob = await held.ApplyAsync((j, now) => JobStateMachine.Fail(j, now, error.Code, message), CancellationToken.None).ConfigureAwait(false);
            await _leftovers.RemoveAsync(held, endpoints, target).ConfigureAwait(false);

            metrics.Finished(job.FlowType, "FAILED", 0, elapsed);
            logger.LogError("Failed with {ErrorCode}: {Message}", error.Code, message);
            await AuditAsync(job, "job.failed", $$"""{"error_code":"{{error.Code}}"}""").ConfigureAwait(false);
            await NotifyFailedAsync(failedJob).ConfigureAwait(false);
        }
        catch (LeaseLostException)
        {
            metrics.LeaseLost();
            logger.LogWarning("Lost the lease before the outcome ({Error}) could be recorded; the next owner retries.", ex.Message);
        }
    }

    private async Task NotifyFailedAsync(TransferJob job)
    {
        try
        {
            await failed(job).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The job's outcome is recorded; only its notice is lost, and the log says so.
            logger.LogError(ex, "The failure notice for job {JobId} could not be queued", job.JobId);
        }
    }

    private async Task HeartbeatAsync(LeasedJob held, CancellationTokenSource transfer, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                // Ending by cancellation is every job's normal end: no exception for it.
                await Task.Delay(options.Lease / 3, time, stop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (stop.IsCancellationRequested)
                {
                    return;
                }

                await held.RenewAsync(stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The transfer ended; its outcome is written by the caller.
        }
        catch (LeaseLostException)
        {
            // Someone else owns the job now: stop moving bytes before anything is committed.
            await transfer.CancelAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The store is unreachable: keep the transfer going; it cannot commit without renewing anyway.
            logger.LogWarning(ex, "Lease renewal failed; retrying at the next beat");
            if (!stop.IsCancellationRequested)
            {
                await HeartbeatAsync(held, transfer, stop).ConfigureAwait(false);
            }
        }
    }

    private Task AuditAsync(TransferJob job, string action, string changes) =>
        audit.AppendJobAsync(options, time, job.CustomerId, job.JobId, action, changes);
}

/// <summary>A job's two endpoints as the dispatcher read them when it took their slots (null: gone).</summary>
internal sealed record JobEndpoints(Endpoint? Source, Endpoint? Target);
