namespace Ferry.Core.Notifications;

/// <summary>A customer's failure webhook: where notices go; the signing secret lives in the secret store.</summary>
public sealed record FailureWebhook(string CustomerId, string Url, string SecretRef, DateTimeOffset CreatedAt);

/// <summary>One failure notice to send (the outbox row): pending until a 2xx, retried with backoff, given up after the last attempt.</summary>
public sealed record WebhookDelivery
{
    public required string DeliveryId { get; init; }
    public required string CustomerId { get; init; }
    public required string JobId { get; init; }
    public int Attempts { get; init; }

    /// <summary>When the next attempt is due; a sender claims a delivery by moving this forward.</summary>
    public required DateTimeOffset NextAttemptAt { get; init; }

    /// <summary>pending, delivered or failed.</summary>
    public string Status { get; init; } = Pending;

    public string? LastError { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? DeliveredAt { get; init; }

    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
}

/// <summary>Failure webhooks and their outbox.</summary>
public interface IWebhookStore
{
    /// <summary>Sets (or replaces) the customer's webhook.</summary>
    Task PutAsync(FailureWebhook webhook, CancellationToken cancellationToken);

    Task<FailureWebhook?> GetAsync(string customerId, CancellationToken cancellationToken);

    Task<bool> DeleteAsync(string customerId, CancellationToken cancellationToken);

    /// <summary>Queues a notice; one per job (a second enqueue for the same job is ignored).</summary>
    Task EnqueueAsync(WebhookDelivery delivery, CancellationToken cancellationToken);

    /// <summary>Pending deliveries due at <paramref name="now"/>, oldest first.</summary>
    Task<IReadOnlyList<WebhookDelivery>> FindDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Stores <paramref name="after"/> if the delivery is still pending with the due time it was read with
    /// (<paramref name="expectedNextAttemptAt"/>): of several senders, one wins each attempt.
    /// </summary>
    Task<bool> UpdateAsync(WebhookDelivery after, DateTimeOffset expectedNextAttemptAt, CancellationToken cancellationToken);

    /// <summary>A customer's deliveries, newest first.</summary>
    Task<IReadOnlyList<WebhookDelivery>> ListAsync(string customerId, int limit, CancellationToken cancellationToken);
}
