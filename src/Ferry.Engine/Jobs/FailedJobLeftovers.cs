using Ferry.Core;
using Ferry.Core.Audit;
using Ferry.Core.Connectors;
using Ferry.Core.Endpoints;
using Ferry.Core.Jobs;
using Ferry.Engine.Flows;
using Microsoft.Extensions.Logging;

namespace Ferry.Engine.Jobs;

/// <summary>What a job that failed for good leaves behind, removed or recorded (<see cref="Leftover"/>).</summary>
internal sealed class FailedJobLeftovers(ILeftoverStore store, IAuditLog audit, EngineOptions options, ILogger logger, TimeProvider time)
{
    /// <summary>
    /// The job will not resume: what its attempts may have left at the target (the partial write
    /// they kept, the part file of an SFTP delivery, a staging copy cut short) is removed now, and
    /// what cannot be (the target is down, often why the job failed) is recorded for <see cref="LeftoverSweeper"/>.
    /// </summary>
    /// <param name="target">The target's connector, when the last attempt got that far.</param>
    public async Task RemoveAsync(LeasedJob held, JobEndpoints endpoints, IConnector? target)
    {
        var job = held.Current;
        if (options.Staging is { } staging && endpoints is { Source.Kind: EndpointKind.Sftp, Target.Kind: EndpointKind.Sftp })
        {
            // A staging copy cut short is of no use to a re-drive (a whole one stays for it).
            await Cleanup.DeleteQuietlyAsync(staging, StagedFlow.PartialStagedPath(StagedFlow.StagedPath(job.JobId, job.SourcePath))).ConfigureAwait(false);
        }

        var write = (held.LatestCheckpoint ?? TransferCheckpoint.Parse(job.Checkpoint))?.Write;
        var partPath = endpoints.Target?.Kind == EndpointKind.Sftp ? StreamingFlow.PartPath(job.TargetPath, job.JobId) : null;
        string? error;
        if (target is not null)
        {
            error = await Cleanup.RemoveLeftoverAsync(target, write, partPath).ConfigureAwait(false);
        }
        else if (write is null && job.Attempts <= 1)
        {
            return; // the only attempt never reached the target
        }
        else
        {
            error = "the last attempt did not reach the target";
        }

        if (error is null || (write is null && partPath is null))
        {
            return;
        }

        var now = time.GetUtcNow();
        var leftover = new Leftover
        {
            LeftoverId = Ids.Sequential("lft_", time),
            CustomerId = job.CustomerId,
            JobId = job.JobId,
            EndpointId = job.TargetEndpointId,
            PartPath = partPath,
            Write = write,
            NextAttemptAt = now + options.LeftoverRetry,
            CreatedAt = now,
            LastError = error,
        };
        try
        {
            await store.AddAsync(leftover, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The job's outcome is recorded; only the clean-up is not, and the log says what is left where.
            logger.LogError(ex, "What the job left at its target ({Path}) could not be removed ({Error}) nor recorded for later; remove it by hand",
                write?.Path ?? partPath, error);
            return;
        }

        logger.LogWarning("What the job left at its target ({Path}) could not be removed: {Error}; trying again from {At:O}",
            write?.Path ?? partPath, error, now + options.LeftoverRetry);
        await audit.AppendJobAsync(options, time, job.CustomerId, job.JobId, "job.leftover_kept", LeftoverSweeper.Describe(job.TargetEndpointId, write?.Path ?? partPath, error))
            .ConfigureAwait(false);
    }
}
