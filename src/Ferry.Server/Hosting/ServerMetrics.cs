using System.Diagnostics.Metrics;

namespace Ferry.Server.Hosting;

/// <summary>
/// The server's own instruments (meter "Ferry.Server"): what the API refused, what the retention
/// removed, and when the https certificate being served expires (to alert before it does).
/// </summary>
internal sealed class ServerMetrics : IDisposable
{
    public const string MeterName = "Ferry.Server";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _rateLimited;
    private readonly Counter<long> _pruned;

    public ServerMetrics(TlsCertificateFiles? certificate = null)
    {
        if (certificate is not null)
        {
            _meter.CreateObservableGauge("ferry.tls.certificate.expires", () => (certificate.Current.NotAfter.ToUniversalTime() - DateTime.UnixEpoch).TotalSeconds,
                "s", "When the https certificate being served expires, in seconds since 1970 (it is read again when its files change)");
        }

        _rateLimited = _meter.CreateCounter<long>("ferry.api.rate_limited", "{request}", "Requests refused with 429 because their API key was over Ferry:RateLimitPerSecond");
        _pruned = _meter.CreateCounter<long>("ferry.retention.removed", "{record}", "Finished jobs, their pruned records, event sequencers and audit entries removed by the retention");
    }

    public void RateLimited(string customerId) => _rateLimited.Add(1, new KeyValuePair<string, object?>("customer_id", customerId));

    /// <param name="kind">job, pruned_record, sequencer or audit_entry.</param>
    public void Removed(string kind, int count)
    {
        if (count > 0)
        {
            _pruned.Add(count, new KeyValuePair<string, object?>("kind", kind));
        }
    }

    public void Dispose() => _meter.Dispose();
}
