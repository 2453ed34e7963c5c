using Ferry.Core;
using Ferry.Core.Audit;
using Ferry.Core.Notifications;
using Ferry.Core.Secrets;
using Ferry.Server.Api.Auth;
using Ferry.Server.Api.Endpoints;
using Ferry.Server.Api.Json;
using Ferry.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Server.Api.Webhooks;

internal sealed record WebhookBody(string? Url);

internal sealed record WebhookView(string Url, DateTimeOffset CreatedAt, string? Secret = null);

internal sealed record DeliveryView(string DeliveryId, string JobId, string Status, int Attempts, DateTimeOffset NextAttemptAt, string? LastError, DateTimeOffset CreatedAt,
    DateTimeOffset? DeliveredAt)
{
    public static DeliveryView From(WebhookDelivery d) => new(d.DeliveryId, d.JobId, d.Status, d.Attempts, d.NextAttemptAt, d.LastError, d.CreatedAt, d.DeliveredAt);
}

/// <summary>/v1/webhooks/job-failed: where a customer is told about failed jobs, and how the notices fared.</summary>
internal static class WebhooksApi
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapCustomerGroup("/v1/webhooks/job-failed");
        group.MapPut("", PutAsync);
        group.MapGet("", GetAsync);
        group.MapDelete("", DeleteAsync);
        group.MapGet("/deliveries", DeliveriesAsync);
    }

    internal sealed record Services(IWebhookStore Webhooks, ISecretStore Secrets, IAuditLog Audit, FerryOptions Options, TimeProvider Time);

    /// <summary>Sets the webhook and answers with a new signing secret, shown this once.</summary>
    private static async Task<IResult> PutAsync(HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        var customerId = Caller.CustomerOf(http);
        var (body, problem) = await JsonBody.ReadAsync<WebhookBody>(http.Request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return problem!;
        }

        if (!Uri.TryCreate(body.Url, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http") || body.Url!.Length > 2048 || url.UserInfo.Length > 0)
        {
            return Problems.Field("url", "must be an absolute http(s) URL of at most 2048 characters, without user:password (notices are signed instead)");
        }

        if (!s.Options.AllowPrivateNetworks && EndpointConnectivity.IsPrivateLiteral(url))
        {
            return Problems.Field("url", $"{url.Host} is a private, loopback or link-local address, which webhooks may not call");
        }

        var secret = Ids.New("whsec_", 32);
        var previous = await s.Webhooks.GetAsync(customerId, ct).ConfigureAwait(false);
        var webhook = new FailureWebhook(customerId, url.ToString(), await s.Secrets.PutAsync(customerId, secret, ct).ConfigureAwait(false), s.Time.GetUtcNow());
        await s.Webhooks.PutAsync(webhook, ct).ConfigureAwait(false);
        if (previous is not null)
        {
            await s.Secrets.DeleteAsync(customerId, previous.SecretRef, ct).ConfigureAwait(false);
        }

        await s.Audit.AppendAsync(new AuditEntry(Ids.Sequential("aud_"), customerId, webhook.CreatedAt, Caller.Of(http).Actor, "webhook.set", "webhook", "job-failed",
            System.Text.Json.JsonSerializer.Serialize(new { url = webhook.Url })), ct).ConfigureAwait(false);
        return Results.Ok(new WebhookView(webhook.Url, webhook.CreatedAt, secret));
    }

    private static async Task<IResult> GetAsync(HttpContext http, [AsParameters] Services s, CancellationToken ct) =>
        await s.Webhooks.GetAsync(Caller.CustomerOf(http), ct).ConfigureAwait(false) is { } w
            ? Results.Ok(new WebhookView(w.Url, w.CreatedAt))
            : Problems.NotFound("A job-failed webhook");

    private static async Task<IResult> DeleteAsync(HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        var customerId = Caller.CustomerOf(http);
        if (await s.Webhooks.GetAsync(customerId, ct).ConfigureAwait(false) is not { } w)
        {
            return Problems.NotFound("A job-failed webhook");
        }

        await s.Webhooks.DeleteAsync(customerId, ct).ConfigureAwait(false);
        await s.Secrets.DeleteAsync(customerId, w.SecretRef, ct).ConfigureAwait(false);
        await s.Audit.AppendAsync(new AuditEntry(Ids.Sequential("aud_"), customerId, s.Time.GetUtcNow(), Caller.Of(http).Actor, "webhook.deleted", "webhook", "job-failed"), ct)
            .ConfigureAwait(false);
        return Results.NoContent();
    }

    private static async Task<IResult> DeliveriesAsync(HttpContext http, [AsParameters] Services s, int? limit, CancellationToken ct)
    {
        if (limit is < 1 or > 1000)
        {
            return Problems.Field("limit", "must be between 1 and 1000");
        }

        var deliveries = await s.Webhooks.ListAsync(Caller.CustomerOf(http), limit ?? 100, ct).ConfigureAwait(false);
        return Results.Ok(new { deliveries = deliveries.Select(DeliveryView.From) });
    }
}
