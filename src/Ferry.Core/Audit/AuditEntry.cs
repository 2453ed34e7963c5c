namespace Ferry.Core.Audit;

/// <summary>
/// One append-only record of a change to an endpoint, a job or a key: who, when, what and how.
/// <see cref="Changes"/> is a JSON object of the changed fields; secrets never appear in it.
/// </summary>
public sealed record AuditEntry(
    string AuditId,
    string CustomerId,
    DateTimeOffset At,
    string Actor,
    string Action,
    string EntityType,
    string EntityId,
    string? Changes = null);

public sealed record AuditQuery(string CustomerId, string? EntityId = null, string? Cursor = null, int Limit = 100);

public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, string? NextCursor);
