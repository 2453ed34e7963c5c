using System.Buffers;
using System.Text;
using System.Text.Json;
using Ferry.Core.Audit;
using Ferry.Core.Endpoints;
using Ferry.Core.Errors;
using Ferry.Core.Jobs;
using Ferry.Engine.Flows;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Engine.Jobs;

/// <summary>
/// Removes what failed jobs left at targets that could not be reached when they failed
/// (<see cref="Leftover"/>): tried again after <see cref="EngineOptions.LeftoverRetry"/>, the wait
/// doubling up to an hour, for <see cref="EngineOptions.LeftoverGiveUp"/>; then given up on with
/// an error in the log and the audit trail. Each try is claimed in the store first, so with
/// several processes one makes it. Every outcome is in the job's audit trail
/// (job.leftover_removed, job.leftover_abandoned).
/// </summary>
public sealed class LeftoverSweeper(
    ILeftoverStore leftovers,
    IJobStore jobs,
    IEndpointStore endpoints,
    IEndpointConnectors connectors,
    IAuditLog audit,
    EngineOptions options,
    ILogger<LeftoverSweeper> logger,
    TimeProvider time) : BackgroundService
{
    /// <summary>How long a claimed try may take before another process may make it.</summary>
    private static readonly TimeSpan Claim = TimeSpan.FromMinutes(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var every = options.LeftoverRetry < TimeSpan.FromSeconds(30) ? options.LeftoverRetry : TimeSpan.FromSeconds(30);
        using var timer = new PeriodicTimer(every, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await SweepAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(ex, "Removing leftovers of failed jobs failed; trying again shortly");
            }
        }
    }

    /// <summary>Makes one try at each leftover due now; returns how many were removed.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var removed = 0;
        foreach (var due in await leftovers.FindDueAsync(time.GetUtcNow(), 20, cancellationToken).ConfigureAwait(false))
        {
            removed += await TryAsync(due, cancellationToken).ConfigureAwait(false) ? 1 : 0;
        }

        return removed;
    }

    private async Task<bool> TryAsync(Leftover due, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var claimed = due with { NextAttemptAt = now + Claim, Attempts = due.Attempts + 1 };
        if (!await leftovers.UpdateAsync(claimed, due.NextAttemptAt, cancellationToken).ConfigureAwait(false))
        {
            return false; // another process took this try
        }

        using var scope = logger.BeginScope(new Dictionary<string, object?>
        {
            ["job_id"] = due.JobId,
            ["customer_id"] = due.CustomerId,
            ["target_endpoint_id"] = due.EndpointId,
        });
        var job = await jobs.GetAsync(due.CustomerId, due.JobId, cancellationToken).ConfigureAwait(false);
        if (job is { IsTerminal: false })
        {
            // Not expected (leftovers are recorded as a job fails), but a live job's part file is its own.
            await leftovers.UpdateAsync(claimed with { NextAttemptAt = now + options.LeftoverRetry, Attempts = due.Attempts }, claimed.NextAttemptAt, cancellationToken)
                .ConfigureAwait(false);
            return false;
        }

        var endpoint = await endpoints.GetAsync(due.CustomerId, due.EndpointId, cancellationToken).ConfigureAwait(false);
        var error = endpoint is null ? "the endpoint no longer exists" : await RemoveAsync(endpoint, due, cancellationToken).ConfigureAwait(false);
        var path = due.Write?.Path ?? due.PartPath;
        if (error is null)
        {
            await leftovers.DeleteAsync(due.LeftoverId, claimed.NextAttemptAt, cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Removed what the failed job left at its target ({Path}) on try {Try}", path, claimed.Attempts);
            await AuditAsync(due, "job.leftover_removed", Describe(due.EndpointId, path, null)).ConfigureAwait(false);
            return true;
        }

        if (endpoint is null || now - due.CreatedAt >= options.LeftoverGiveUp)
        {
            await leftovers.DeleteAsync(due.LeftoverId, claimed.NextAttemptAt, cancellationToken).ConfigureAwait(false);
            logger.LogError("Gave up removing what the failed job left at its target ({Path}) after {Tries} tries since {Since:O}: {Error}. Remove it by hand.",
                path, claimed.Attempts, due.CreatedAt, error);
            await AuditAsync(due, "job.leftover_abandoned", Describe(due.EndpointId, path, error)).ConfigureAwait(false);
            return false;
        }

        var wait = Backoff(claimed.Attempts);
        await leftovers.UpdateAsync(claimed with { NextAttemptAt = now + wait, LastError = error }, claimed.NextAttemptAt, cancellationToken).ConfigureAwait(false);
        logger.LogWarning("What the failed job left at its target ({Path}) could not be removed on try {Try}: {Error}; trying again in {Wait}",
            path, claimed.Attempts, error, wait);
        return false;
    }

    private async Task<string?> RemoveAsync(Endpoint endpoint, Leftover due, CancellationToken cancellationToken)
    {
        try
        {
            using var connector = await connectors.GetAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return await Cleanup.RemoveLeftoverAsync(connector.Connector, due.Write, due.PartPath).ConfigureAwait(false);
        }
        catch (FerryException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>The wait after failed try <paramref name="tries"/>: <see cref="EngineOptions.LeftoverRetry"/> doubling up to an hour.</summary>
    private TimeSpan Backoff(int tries) =>
        TimeSpan.FromSeconds(Math.Min(3600, options.LeftoverRetry.TotalSeconds * Math.Pow(2, Math.Min(tries, 20))));

    /// <summary>The audit entry's changes: where the leftover is and, when it stays, why.</summary>
    internal static string Describe(string endpointId, string? path, string? error)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("endpoint_id", endpointId);
            json.WriteString("path", path);
            if (error is not null)
            {
                json.WriteString("error", error);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private Task AuditAsync(Leftover leftover, string action, string changes) =>
        audit.AppendJobAsync(options, time, leftover.CustomerId, leftover.JobId, action, changes);
}
