using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ferry.Core;
using Ferry.Core.Jobs;
using Ferry.Core.Notifications;
using Ferry.Core.Secrets;
using Ferry.Server.Api.Endpoints;
using Ferry.Server.Api.Jobs;
using Ferry.Server.Api.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Notifications;

/// <summary>
/// Sends failure notices to customers' webhooks from the outbox: a POST of the failed job, signed
/// with HMAC-SHA256 over "&lt;unix time&gt;.&lt;body&gt;" (header Ferry-Signature: t=...,v1=...), retried
/// with growing, jittered waits until a 2xx or <see cref="MaxAttempts"/>. Each attempt is claimed
/// in the store first, so with several processes one sends it. Addresses are checked when the
/// connection is made (not only when the URL was set), so a name that later resolves to a
/// private address is refused too.
/// </summary>
internal sealed class FailureNotifier : BackgroundService
{
    public const int MaxAttempts = 8;
    private static readonly TimeSpan Claim = TimeSpan.FromMinutes(2);
    private readonly IWebhookStore _store;
    private readonly IJobStore _jobs;
    private readonly ISecretStore _secrets;
    private readonly ILogger<FailureNotifier> _logger;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _wake = new(0);

    public FailureNotifier(IWebhookStore store, IJobStore jobs, ISecretStore secrets, bool allowPrivateNetworks, ILogger<FailureNotifier> logger, TimeProvider time)
    {
        (_store, _jobs, _secrets, _logger, _time) = (store, jobs, secrets, logger, time);
        _http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            ConnectCallback = async (context, ct) =>
            {
                var addresses = await System.Net.Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, ct).ConfigureAwait(false);
                var usable = addresses.Where(a => allowPrivateNetworks || !EndpointConnectivity.IsPrivate(a)).ToArray();
                if (usable.Length == 0)
                {
                    throw new HttpRequestException($"{context.DnsEndPoint.Host} resolves only to private or loopback addresses, which webhooks may not call");
                }

                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(usable, context.DnsEndPoint.Port, ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        }) { Timeout = TimeSpan.FromSeconds(15) };
    }

    /// <summary>Queues a notice for the failed job if its customer has a webhook.</summary>
    public async Task EnqueueAsync(TransferJob job)
    {
        if (await _store.GetAsync(job.CustomerId, CancellationToken.None).ConfigureAwait(false) is null)
        {
            return;
        }

        var now = _time.GetUtcNow();
        await _store.EnqueueAsync(new WebhookDelivery
        {
            DeliveryId = Ids.Sequential("whd_", _time),
            CustomerId = job.CustomerId,
            JobId = job.JobId,
            NextAttemptAt = now,
            CreatedAt = now,
        }, CancellationToken.None).ConfigureAwait(false);
        _wake.Release();
    }

    /// <summary>The value of the Ferry-Signature header for <paramref name="body"/> sent at <paramref name="unixSeconds"/>.</summary>
    public static string Sign(string secret, long unixSeconds, string body) =>
        $"t={unixSeconds},v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{unixSeconds}.{body}")));

    /// <summary>The wait after failed attempt <paramref name="attempt"/>: 5 s doubling up to an hour, jittered.</summary>
    public static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromSeconds(Math.Min(3600, 5 * Math.Pow(2, attempt - 1)) * (0.75 + (Random.Shared.NextDouble() * 0.5)));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var due in await _store.FindDueAsync(_time.GetUtcNow(), 20, stoppingToken).ConfigureAwait(false))
                {
                    await AttemptAsync(due, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                _logger.LogError(ex, "Sending failure notices failed; trying again shortly");
            }

            await _wake.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task AttemptAsync(WebhookDelivery due, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var claimed = due with { NextAttemptAt = now + Claim, Attempts = due.Attempts + 1 };
        if (!await _store.UpdateAsync(claimed, due.NextAttemptAt, ct).ConfigureAwait(false))
        {
            return; // another process took this attempt
        }

        var error = await SendAsync(claimed, ct).ConfigureAwait(false);
        var after = error is null
            ? claimed with { Status = WebhookDelivery.Delivered, DeliveredAt = _time.GetUtcNow(), LastError = null }
            : claimed.Attempts >= MaxAttempts
                ? claimed with { Status = WebhookDelivery.Failed, LastError = error }
                : claimed with { NextAttemptAt = _time.GetUtcNow() + Backoff(claimed.Attempts), LastError = error };
        if (error is not null)
        {
            _logger.LogWarning("Failure notice {DeliveryId} for job {JobId}, attempt {Attempt}: {Error}", due.DeliveryId, due.JobId, claimed.Attempts, error);
        }

        await _store.UpdateAsync(after, claimed.NextAttemptAt, ct).ConfigureAwait(false);
    }

    /// <summary>Sends one attempt; null when the receiver answered 2xx, else what went wrong.</summary>
    private async Task<string?> SendAsync(WebhookDelivery delivery, CancellationToken ct)
    {
        var webhook = await _store.GetAsync(delivery.CustomerId, ct).ConfigureAwait(false);
        var job = await _jobs.GetAsync(delivery.CustomerId, delivery.JobId, ct).ConfigureAwait(false);
        var secret = webhook is null ? null : await _secrets.GetAsync(delivery.CustomerId, webhook.SecretRef, ct).ConfigureAwait(false);
        if (webhook is null || job is null || secret is null)
        {
            return "the webhook or the job no longer exists";
        }

        var body = JsonSerializer.Serialize(new { @event = "job.failed", delivery_id = delivery.DeliveryId, attempt = delivery.Attempts, job = JobView.From(job) }, ApiJson.Options);
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Ferry-Event", "job.failed");
        request.Headers.Add("Ferry-Delivery", delivery.DeliveryId);
        request.Headers.Add("Ferry-Signature", Sign(secret, _time.GetUtcNow().ToUnixTimeSeconds(), body));
        try
        {
            using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? null : $"the receiver answered {(int)response.StatusCode}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return ex is TaskCanceledException ? "the receiver did not answer within 15 s" : ex.Message;
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        _wake.Dispose();
        base.Dispose();
    }
}
