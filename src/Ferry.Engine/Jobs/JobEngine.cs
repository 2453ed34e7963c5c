using System.Collections.Concurrent;
using System.Threading.Channels;
using Ferry.Core.Audit;
using Ferry.Core.Endpoints;
using Ferry.Core.Jobs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Engine.Jobs;

/// <summary>
/// The dispatcher: finds runnable jobs in the store, takes each one's lease together with its
/// endpoints' concurrency slots (one write), and hands it to a worker. Any number of processes can
/// run one against the same store; the conditional writes decide who gets what. On shutdown it
/// stops claiming, lets running transfers finish for a grace period, then gives their leases back.
/// </summary>
public sealed class JobEngine : BackgroundService
{
    private readonly IJobStore _jobs;
    private readonly IEndpointStore _endpoints;
    private readonly IConcurrencySlots _slots;
    private readonly EngineOptions _options;
    private readonly EngineMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly JobExecutor _executor;
    /// <summary>Every job this process has started and not yet finished with, trailing writes included (what shutdown waits for).</summary>
    private readonly ConcurrentDictionary<string, Task> _running = new();
    /// <summary>Workers taken: jobs whose outcome is not recorded yet.</summary>
    private int _busy;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _hardStop = new();

    public JobEngine(
        IJobStore jobs, ILeftoverStore leftovers, IEndpointStore endpoints, IConcurrencySlots slots, IEndpointConnectors connectors, IAuditLog audit,
        EngineOptions options, EngineMetrics metrics, ILogger<JobEngine> logger, TimeProvider? time = null)
    {
        _jobs = jobs;
        _endpoints = endpoints;
        _slots = slots;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _executor = new JobExecutor(jobs, leftovers, connectors, audit, options, metrics, logger, _time, job => JobFailed?.Invoke(job) ?? Task.CompletedTask);
    }

    /// <summary>Called after a job this process ran was FAILED (the failure-notice outbox); its errors are logged, not thrown.</summary>
    public Func<TransferJob, Task>? JobFailed { get; set; }

    /// <summary>Jobs this process is running now.</summary>
    public int Running => Volatile.Read(ref _busy);

    /// <summary>The dispatcher is running (always true for an API-only process, which has none).</summary>
    public bool IsReady => _options.Workers == 0 || ExecuteTask is { IsCompleted: false };

    /// <summary>Looks for work now instead of at the next poll (called when jobs are created here).</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.Workers == 0)
        {
            _logger.LogInformation("Engine {WorkerId}: no workers configured; this process only takes requests, others run the jobs", _options.WorkerId);
            return;
        }

        _logger.LogInformation("Engine {WorkerId} started in region {Region} with {Workers} workers", _options.WorkerId, _options.Region, _options.Workers);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var started = await DispatchAsync(stoppingToken).ConfigureAwait(false);
                if (started == 0 || Running >= _options.Workers)
                {
                    await WaitForWorkAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The store may be briefly unavailable; the jobs are safe in it. Try again shortly.
                _logger.LogError(ex, "Dispatching failed; retrying");
                await Task.Delay(_options.PollInterval, _time, CancellationToken.None).ConfigureAwait(false);
            }
        }

        await DrainAsync().ConfigureAwait(false);
    }

    private async Task<int> DispatchAsync(CancellationToken cancellationToken)
    {
        var free = _options.Workers - Running;
        if (free <= 0)
        {
            return 0;
        }

        var now = _time.GetUtcNow();
        // More candidates than free workers: some will be behind a full endpoint or won by another process.
        var candidates = await _jobs.FindRunnableAsync(now, (free * 4) + Running, cancellationToken).ConfigureAwait(false);
        // Candidates are tried a wave at a time, as many at once as there are free workers: their
        // claims (each with its slots) then share commits instead of queueing one behind the other.
        var waiting = new Queue<TransferJob>(candidates.Where(c => !_running.ContainsKey(c.JobId)));
        var started = 0;
        while (started < free && waiting.Count > 0 && !cancellationToken.IsCancellationRequested)
        {
            var wave = new List<TransferJob>();
            while (wave.Count < free - started && waiting.TryDequeue(out var next))
            {
                wave.Add(next);
            }

            var outcomes = await Task.WhenAll(wave.Select(c => TryStartAsync(c, cancellationToken))).ConfigureAwait(false);
            started += outcomes.Count(ok => ok);
        }

        return started;
    }

    private async Task<bool> TryStartAsync(TransferJob candidate, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (!JobStateMachine.IsClaimable(candidate, now))
        {
            return false;
        }

        var endpoints = await ReadEndpointsAsync(candidate, cancellationToken).ConfigureAwait(false);
        // A missing endpoint needs no slot; the executor reports it as the job's error.
        var wanted = new[] { endpoints.Source, endpoints.Target }.OfType<Endpoint>().DistinctBy(e => e.EndpointId)
            .Select(e => new SlotRequest(SlotResource(e.EndpointId), Math.Max(1, e.MaxConcurrency))).ToList();
        if (await _jobs.ClaimAsync(JobStateMachine.Claim(candidate, _options.WorkerId, _options.Region, now, _options.Lease), wanted, now + _options.Lease,
                cancellationToken).ConfigureAwait(false) is not { } taken)
        {
            return false; // taken by another worker, or an endpoint is at its limit
        }

        var (claimed, slots) = taken;
        if (candidate.LeaseOwner is not null)
        {
            _metrics.TakenOver();
            _logger.LogWarning("Took over job {JobId} from {Owner}, whose lease expired at {Expiry:O}", candidate.JobId, candidate.LeaseOwner, candidate.LeaseExpiresAt);
        }

        _metrics.Started();
        var held = new LeasedJob(_jobs, claimed, _time, _options.Lease);
        // A job that was RUNNING or VERIFYING before this claim may have delivered already.
        var isRetry = candidate.Status != JobStatus.Queued;
        var trailing = new TrailingWrites(_logger, candidate.JobId);
        Interlocked.Increment(ref _busy);
        _running[candidate.JobId] = Task.Run(async () =>
        {
            using var renewSlots = new CancellationTokenSource();
            var slotHeartbeat = RenewSlotsAsync(slots, candidate.JobId, renewSlots.Token);
            try
            {
                await _executor.RunAsync(held, endpoints, isRetry, trailing, _hardStop.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "Job {JobId}: the worker failed unexpectedly; its lease will expire and another worker retries", candidate.JobId);
            }
            finally
            {
                await renewSlots.CancelAsync().ConfigureAwait(false);
                await slotHeartbeat.ConfigureAwait(false);
                trailing.Add(ReleaseSlotsAsync(slots, candidate.JobId), "giving its concurrency slots back");
                held.Dispose();
                _metrics.Stopped();
                Interlocked.Decrement(ref _busy);
                Wake();
                await trailing.WhenDoneAsync().ConfigureAwait(false);
                _running.TryRemove(candidate.JobId, out _);
                Wake(); // a store whose writes do not queue in order may only now show the slots free
            }
        }, CancellationToken.None);
        return true;
    }

    /// <summary>The job's endpoints, read once: their limits decide the slots, and the executor gets them too (null: gone).</summary>
    private async Task<JobEndpoints> ReadEndpointsAsync(TransferJob job, CancellationToken cancellationToken)
    {
        var source = await _endpoints.GetAsync(job.CustomerId, job.SourceEndpointId, cancellationToken).ConfigureAwait(false);
        var target = job.TargetEndpointId == job.SourceEndpointId
            ? source
            : await _endpoints.GetAsync(job.CustomerId, job.TargetEndpointId, cancellationToken).ConfigureAwait(false);
        return new JobEndpoints(source, target);
    }

    public static string SlotResource(string endpointId) => "endpoint:" + endpointId;

    private async Task RenewSlotsAsync(IReadOnlyList<HeldSlot> slots, string holder, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                // Ending by cancellation is every job's normal end: no exception for it.
                await Task.Delay(_options.Lease / 3, _time, stop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (stop.IsCancellationRequested)
                {
                    return;
                }

                foreach (var (resource, slot) in slots)
                {
                    await _slots.RenewAsync(resource, slot, holder, _time.GetUtcNow() + _options.Lease, stop).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Renewing concurrency slots for job {JobId} failed; they expire with the lease", holder);
        }
    }

    private Task ReleaseSlotsAsync(IReadOnlyList<HeldSlot> slots, string holder) =>
        Task.WhenAll(slots.Select(async s =>
        {
            try
            {
                await _slots.ReleaseAsync(s.Resource, s.Slot, holder, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "Releasing slot {Slot} of {Resource} failed; it frees itself when it expires", s.Slot, s.Resource);
            }
        }));

    private async Task WaitForWorkAsync(CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(_options.PollInterval);
        try
        {
            await _wake.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // Poll interval passed.
        }
    }

    private async Task DrainAsync()
    {
        var running = _running.Values.ToArray();
        if (running.Length == 0)
        {
            return;
        }

        _logger.LogInformation("Shutting down: waiting up to {Seconds} s for {Count} running transfers", _options.ShutdownGrace.TotalSeconds, running.Length);
        var all = Task.WhenAll(running);
        if (await Task.WhenAny(all, Task.Delay(_options.ShutdownGrace, _time)).ConfigureAwait(false) != all)
        {
            // Out of time: stop the transfers; each gives its lease back so another worker resumes at once.
            await _hardStop.CancelAsync().ConfigureAwait(false);
            await all.ConfigureAwait(false);
        }
    }

    public override void Dispose()
    {
        _hardStop.Dispose();
        base.Dispose();
    }
}
