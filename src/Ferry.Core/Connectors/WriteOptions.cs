namespace Ferry.Core.Connectors;

/// <summary>Options for <see cref="IConnector.WriteAsync"/>.</summary>
/// <param name="CreateOnly">
/// Fail with ALREADY_EXISTS instead of replacing an existing file, where the store can make
/// that decision atomically (S3 If-None-Match; an SFTP exclusive create).
/// </param>
/// <param name="Sha256">
/// The content's SHA-256 if the caller already knows it (a second leg from staging, a copy of
/// an object that records one). Stores that keep checksums record it, and the write fails with
/// CHECKSUM_MISMATCH if the bytes streamed do not hash to it.
/// </param>
/// <param name="DeliveredFor">
/// The trigger a delivery is for. Stores that keep metadata record it (S3: x-amz-meta-ferry-trigger),
/// so the event the write itself causes is recognised and never starts another transfer.
/// </param>
/// <param name="ResumeFrom">
/// Continue the partial write this checkpoint describes (checked first with
/// <see cref="IResumableWrites.CanResumeAsync"/>): the content stream then yields the bytes from
/// its offset on, and the length is still the whole file's.
/// </param>
/// <param name="Checkpointed">
/// Called whenever more of the write became durable at the target, with where it could continue
/// from. Setting it also keeps a failed write's partial state (an S3 multipart upload is not
/// aborted), so the caller can resume it or must <see cref="IResumableWrites.DiscardAsync"/> it.
/// Stores without <see cref="IResumableWrites"/> ignore both.
/// </param>
/// <param name="BeforeCompleting">
/// Called right before a long write becomes visible and can no longer be taken back (S3: before
/// CompleteMultipartUpload), so a caller that lost the right to deliver (its job lease) stops it
/// there; what it throws is passed on unchanged. Short writes are checked by the caller before they start.
/// </param>
public sealed record WriteOptions(
    bool CreateOnly = false,
    string? Sha256 = null,
    string? DeliveredFor = null,
    WriteCheckpoint? ResumeFrom = null,
    Action<WriteCheckpoint>? Checkpointed = null,
    Func<CancellationToken, Task>? BeforeCompleting = null)
{
    public static readonly WriteOptions Default = new();
}
