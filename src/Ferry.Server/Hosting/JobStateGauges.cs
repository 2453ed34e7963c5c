using System.Diagnostics.Metrics;
using Ferry.Core.Jobs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Hosting;

/// <summary>
/// Jobs by state and flow, and the queue depth, as gauges (meter "Ferry.Jobs"). Counted in the
/// store every few seconds, not per scrape, so a busy Prometheus cannot load the store.
/// </summary>
internal sealed class JobStateGauges : BackgroundService
{
    public const string MeterName = "Ferry.Jobs";
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(5);
    private readonly IJobStore _jobs;
    private readonly ILogger<JobStateGauges> _logger;
    private readonly Meter _meter = new(MeterName);
    private volatile IReadOnlyList<JobCount> _counts = [];

    public JobStateGauges(IJobStore jobs, ILogger<JobStateGauges> logger)
    {
        _jobs = jobs;
        _logger = logger;
        _meter.CreateObservableGauge("ferry.jobs", () => _counts.Select(c =>
            new Measurement<long>(c.Count, new("status", c.Status.ToString().ToUpperInvariant()), new("flow", c.FlowType))), "{job}", "Jobs by status and flow");
        _meter.CreateObservableGauge("ferry.queue.depth", () => _counts.Where(c => c.Status == JobStatus.Queued).Sum(c => c.Count), "{job}",
            "Jobs waiting for a worker");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                _counts = await _jobs.CountByStatusAsync(stoppingToken).ConfigureAwait(false);
                await Task.Delay(Every, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "Counting jobs for metrics failed");
                await Task.Delay(Every, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    public override void Dispose()
    {
        _meter.Dispose();
        base.Dispose();
    }
}
