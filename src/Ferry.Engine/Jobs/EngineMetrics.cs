using System.Diagnostics.Metrics;

namespace Ferry.Engine.Jobs;

/// <summary>The engine's instruments (meter "Ferry.Engine"), exported by the host (Prometheus /metrics).</summary>
public sealed class EngineMetrics : IDisposable
{
    public const string MeterName = "Ferry.Engine";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _finished;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _takeovers;
    private readonly Counter<long> _leasesLost;
    private readonly Histogram<double> _duration;
    private int _running;

    public EngineMetrics()
    {
        _finished = _meter.CreateCounter<long>("ferry.jobs.finished", "{job}", "Jobs that reached SUCCEEDED or FAILED");
        _bytes = _meter.CreateCounter<long>("ferry.transfer.bytes", "By", "Bytes delivered");
        _retries = _meter.CreateCounter<long>("ferry.jobs.retries", "{retry}", "Retries scheduled after transient errors");
        _takeovers = _meter.CreateCounter<long>("ferry.jobs.lease_takeovers", "{takeover}", "Jobs claimed after another worker's lease expired");
        _leasesLost = _meter.CreateCounter<long>("ferry.jobs.leases_lost", "{lease}", "Transfers stopped because their lease was lost");
        _duration = _meter.CreateHistogram<double>("ferry.job.duration", "s", "Time from claim to outcome per attempt");
        _meter.CreateObservableGauge("ferry.jobs.running_here", () => Volatile.Read(ref _running), "{job}", "Jobs this process is running");
    }

    public Meter Meter => _meter;

    internal void Started() => Interlocked.Increment(ref _running);

    internal void Stopped() => Interlocked.Decrement(ref _running);

    internal void Finished(string flow, string status, long bytes, TimeSpan elapsed)
    {
        var tags = new KeyValuePair<string, object?>[] { new("flow", flow), new("status", status) };
        _finished.Add(1, tags);
        _duration.Record(elapsed.TotalSeconds, tags);
        if (bytes > 0)
        {
            _bytes.Add(bytes, new KeyValuePair<string, object?>("flow", flow));
        }
    }

    internal void RetryScheduled(string flow) => _retries.Add(1, new KeyValuePair<string, object?>("flow", flow));

    internal void TakenOver() => _takeovers.Add(1);

    internal void LeaseLost() => _leasesLost.Add(1);

    public void Dispose() => _meter.Dispose();
}
