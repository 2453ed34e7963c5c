namespace Ferry.Core.Audit;

/// <summary>The append-only audit trail. Entries are never changed or deleted.</summary>
public interface IAuditLog
{
    Task AppendAsync(AuditEntry entry, CancellationToken cancellationToken);

    /// <summary>A customer's entries, newest first, keyset-paged.</summary>
    Task<AuditPage> ListAsync(AuditQuery query, CancellationToken cancellationToken);
}
