namespace Ferry.Core.Triggers;

/// <summary>
/// Triggers, and the newest event sequencer seen per object (to ignore events that arrive late).
/// Reads and writes are scoped to one customer, except <see cref="FindAsync"/>, which the
/// token-authenticated event intake uses before it knows the customer.
/// </summary>
public interface ITriggerStore
{
    Task<bool> CreateAsync(Trigger trigger, CancellationToken cancellationToken);

    Task<Trigger?> GetAsync(string customerId, string triggerId, CancellationToken cancellationToken);

    /// <summary>The trigger whatever its customer; only for authenticating intake tokens.</summary>
    Task<Trigger?> FindAsync(string triggerId, CancellationToken cancellationToken);

    /// <summary>A customer's triggers, oldest first, keyset-paged by id.</summary>
    Task<TriggerPage> ListAsync(string customerId, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>Every trigger whose <see cref="Trigger.ReconcileEvery"/> is set (for the sweep).</summary>
    Task<IReadOnlyList<Trigger>> ListReconcilingAsync(CancellationToken cancellationToken);

    /// <summary>Every trigger with an <see cref="Trigger.SqsQueueUrl"/> (for the queue consumer).</summary>
    Task<IReadOnlyList<Trigger>> ListQueuedAsync(CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="after"/> if the stored version is still <paramref name="expectedVersion"/>.</summary>
    Task<bool> UpdateAsync(Trigger after, long expectedVersion, CancellationToken cancellationToken);

    Task<bool> DeleteAsync(string customerId, string triggerId, CancellationToken cancellationToken);

    /// <summary>
    /// Records <paramref name="sequencer"/> as the newest event for the object unless a newer one
    /// (<see cref="Sequencers.Compare"/>) was recorded first; false when the event is stale.
    /// An equal sequencer is the same event delivered twice: true, and the job's idempotency key
    /// makes the second delivery a no-op. <paramref name="now"/> is when the event came, for <see cref="PruneSequencersAsync"/>.
    /// </summary>
    Task<bool> AdvanceSequencerAsync(string triggerId, string key, string sequencer, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Forgets up to <paramref name="limit"/> objects' sequencers whose last event came before
    /// <paramref name="seenBefore"/>; returns how many. Safe at any age: an event found stale only
    /// by a forgotten sequencer is checked with a HEAD and finds its file's job, like a repeat.
    /// </summary>
    Task<int> PruneSequencersAsync(DateTimeOffset seenBefore, int limit, CancellationToken cancellationToken);
}

public sealed record TriggerPage(IReadOnlyList<Trigger> Triggers, string? NextCursor);

/// <summary>S3's event sequencers: hexadecimal numbers of varying length, ordered by value.</summary>
public static class Sequencers
{
    public static int Compare(string a, string b)
    {
        var x = a.TrimStart('0');
        var y = b.TrimStart('0');
        return x.Length != y.Length ? x.Length.CompareTo(y.Length) : string.Compare(x, y, StringComparison.OrdinalIgnoreCase);
    }

    public static bool IsValid(string s) => s.Length is > 0 and <= 64 && s.All(char.IsAsciiHexDigit);
}
