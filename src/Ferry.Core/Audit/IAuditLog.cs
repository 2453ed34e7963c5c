namespace Ferry.Core.Audit;

/// <summary>The append-only audit trail. Entries are never changed; they are deleted only by the retention the operator sets.</summary>
public interface IAuditLog
{
    Task AppendAsync(AuditEntry entry, CancellationToken cancellationToken);

    /// <summary>A customer's entries, newest first, keyset-paged.</summary>
    Task<AuditPage> ListAsync(AuditQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes entries made before <paramref name="before"/>, oldest first, looking at no more than
    /// the <paramref name="limit"/> oldest entries; returns how many went (fewer than the limit when
    /// the oldest left are not old enough: entries are in the order written, not strictly by time).
    /// </summary>
    Task<int> PruneAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken);
}
