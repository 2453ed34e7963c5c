namespace Ferry.Engine.Triggers;

/// <summary>What became of one event record (or one object a reconciliation found), for the sender and the log.</summary>
/// <param name="Outcome">created, existing (a job for this version already exists), stale, ignored or unmatched.</param>
public sealed record EventOutcome(string Bucket, string Key, string Outcome, string? TriggerId = null, string? JobId = null, string? Detail = null)
{
    public const string Created = "created";
    public const string Existing = "existing";
    public const string Stale = "stale";
    public const string Ignored = "ignored";
    public const string Unmatched = "unmatched";
}
