namespace Ferry.Core.Transfers;

/// <summary>What a finished transfer did.</summary>
/// <param name="Flow">e.g. "sftp-to-s3".</param>
/// <param name="Bytes">Size of the delivered file.</param>
/// <param name="Sha256">SHA-256 of the delivered content, when known.</param>
/// <param name="Skipped">The target already held an identical file (SkipIfIdentical).</param>
/// <param name="Notes">Things an operator should know, e.g. a non-atomic rename fallback.</param>
/// <param name="Source">The version of the source that was sent (as stat saw it before reading).</param>
public sealed record TransferResult(
    string Flow,
    FlowStrategy Strategy,
    long Bytes,
    string? Sha256,
    bool Skipped,
    TimeSpan Elapsed,
    IReadOnlyList<string> Notes,
    Connectors.RemoteEntry? Source = null)
{
    public double BytesPerSecond => Elapsed.TotalSeconds > 0 ? Bytes / Elapsed.TotalSeconds : 0;
}
