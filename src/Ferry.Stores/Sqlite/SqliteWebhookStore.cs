using System.Text.Json;
using Ferry.Core.Notifications;
using static Ferry.Stores.Sqlite.SqliteJobMapping;

namespace Ferry.Stores.Sqlite;

/// <summary>Webhooks and the outbox as JSON documents, with the columns the sender queries beside them.</summary>
public sealed class SqliteWebhookStore(SqliteDatabase database) : IWebhookStore
{
    public Task PutAsync(FailureWebhook webhook, CancellationToken cancellationToken) =>
        database.ExecuteAsync("INSERT INTO webhooks (customer_id, document) VALUES ($c, $doc) ON CONFLICT (customer_id) DO UPDATE SET document = excluded.document",
            cancellationToken, ("$c", webhook.CustomerId), ("$doc", JsonSerializer.Serialize(webhook)));

    public async Task<FailureWebhook?> GetAsync(string customerId, CancellationToken cancellationToken) =>
        (await database.QueryAsync("SELECT document FROM webhooks WHERE customer_id = $c", r => JsonSerializer.Deserialize<FailureWebhook>(r.GetString(0)),
            cancellationToken, ("$c", customerId)).ConfigureAwait(false)).FirstOrDefault();

    public async Task<bool> DeleteAsync(string customerId, CancellationToken cancellationToken) =>
        await database.ExecuteAsync("DELETE FROM webhooks WHERE customer_id = $c", cancellationToken, ("$c", customerId)).ConfigureAwait(false) == 1;

    public Task EnqueueAsync(WebhookDelivery delivery, CancellationToken cancellationToken) =>
        database.ExecuteAsync("""
            INSERT INTO webhook_deliveries (delivery_id, customer_id, job_id, status, next_attempt_at, document)
            VALUES ($id, $c, $job, $status, $next, $doc) ON CONFLICT DO NOTHING
            """, cancellationToken, ("$id", delivery.DeliveryId), ("$c", delivery.CustomerId), ("$job", delivery.JobId), ("$status", delivery.Status),
            ("$next", Ms(delivery.NextAttemptAt)), ("$doc", JsonSerializer.Serialize(delivery)));

    public async Task<IReadOnlyList<WebhookDelivery>> FindDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        await database.QueryAsync(
            $"SELECT document FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $now ORDER BY next_attempt_at LIMIT {Math.Clamp(limit, 1, 1000)}",
            Read, cancellationToken, ("$now", Ms(now))).ConfigureAwait(false);

    public async Task<bool> UpdateAsync(WebhookDelivery after, DateTimeOffset expectedNextAttemptAt, CancellationToken cancellationToken) =>
        await database.ExecuteAsync("""
            UPDATE webhook_deliveries SET status = $status, next_attempt_at = $next, document = $doc
            WHERE delivery_id = $id AND status = 'pending' AND next_attempt_at = $expected
            """, cancellationToken, ("$status", after.Status), ("$next", Ms(after.NextAttemptAt)), ("$doc", JsonSerializer.Serialize(after)),
            ("$id", after.DeliveryId), ("$expected", Ms(expectedNextAttemptAt))).ConfigureAwait(false) == 1;

    public async Task<IReadOnlyList<WebhookDelivery>> ListAsync(string customerId, int limit, CancellationToken cancellationToken) =>
        await database.QueryAsync(
            $"SELECT document FROM webhook_deliveries WHERE customer_id = $c ORDER BY delivery_id DESC LIMIT {Math.Clamp(limit, 1, 1000)}",
            Read, cancellationToken, ("$c", customerId)).ConfigureAwait(false);

    private static WebhookDelivery Read(Microsoft.Data.Sqlite.SqliteDataReader r) =>
        JsonSerializer.Deserialize<WebhookDelivery>(r.GetString(0)) ?? throw new InvalidDataException("a delivery row holds null");
}
