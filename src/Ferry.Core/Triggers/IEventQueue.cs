using Ferry.Core.Endpoints;

namespace Ferry.Core.Triggers;

/// <summary>A message from an event queue: its body, and the handle that deletes it.</summary>
public sealed record QueuedMessage(string Body, string Receipt);

/// <summary>
/// A queue of S3 event notifications (SQS). Messages are deleted only after what they ask for is
/// durably done; one not deleted comes back after the queue's visibility timeout.
/// </summary>
public interface IEventQueue : IDisposable
{
    /// <summary>Waits up to the queue's long-poll time for up to 10 messages; empty when none came.</summary>
    Task<IReadOnlyList<QueuedMessage>> ReceiveAsync(CancellationToken cancellationToken);

    Task DeleteAsync(string receipt, CancellationToken cancellationToken);
}

/// <summary>Opens event queues with an endpoint's credentials (the account the bucket and its queue live in).</summary>
public interface IEventQueues
{
    Task<IEventQueue> OpenAsync(Endpoint credentialsOf, string queueUrl, CancellationToken cancellationToken);
}
