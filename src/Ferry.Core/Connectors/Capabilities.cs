namespace Ferry.Core.Connectors;

/// <summary>Copies inside the store without the bytes passing through Ferry (S3 CopyObject / UploadPartCopy).</summary>
public interface IServerSideCopy
{
    /// <summary>True when this store can read <paramref name="source"/>'s objects itself (same service and credentials).</summary>
    bool CanCopyFrom(IConnector source);

    Task<WriteResult> CopyFromAsync(IConnector source, string sourcePath, string targetPath, WriteOptions options, CancellationToken cancellationToken);
}

/// <summary>Renames that readers observe as all-or-nothing.</summary>
public interface IAtomicRename
{
    /// <summary>
    /// Renames <paramref name="from"/> to <paramref name="to"/>. With
    /// <paramref name="replaceExisting"/> false the rename fails with ALREADY_EXISTS if the target
    /// exists (SFTP rename semantics). With it true the target is replaced atomically where the
    /// server supports posix-rename; otherwise the connector deletes then renames and says so in
    /// the returned outcome.
    /// </summary>
    Task<RenameOutcome> RenameAtomicAsync(string from, string to, bool replaceExisting, CancellationToken cancellationToken);
}

/// <summary>How a rename was carried out.</summary>
public enum RenameOutcome
{
    /// <summary>A single atomic rename (posix-rename, or a plain rename onto a free name).</summary>
    Atomic,

    /// <summary>The server lacks posix-rename: the old target was deleted first, leaving a short gap.</summary>
    DeleteThenRename,
}

/// <summary>Multipart uploads with explicit abort, for stores that have them (S3).</summary>
public interface IMultipartUploads
{
    /// <summary>Uploads started under <paramref name="prefix"/> and neither completed nor aborted.</summary>
    IAsyncEnumerable<PendingUpload> ListPendingAsync(string prefix, CancellationToken cancellationToken);

    Task AbortAsync(PendingUpload upload, CancellationToken cancellationToken);
}

/// <summary>
/// Writes that can continue where an interrupted one stopped (<see cref="WriteOptions.ResumeFrom"/>,
/// <see cref="WriteOptions.Checkpointed"/>), so a retry of a large file does not send it all again.
/// </summary>
public interface IResumableWrites
{
    /// <summary>
    /// True when the store still holds what <paramref name="checkpoint"/> describes for a file of
    /// <paramref name="length"/> bytes, so a write can continue from it; false when it is gone or
    /// differs (the write then starts over, and the leftovers should be discarded).
    /// </summary>
    Task<bool> CanResumeAsync(WriteCheckpoint checkpoint, long length, CancellationToken cancellationToken);

    /// <summary>Throws away a partial write that will not be resumed (aborts the S3 multipart upload). Already gone is fine.</summary>
    Task DiscardAsync(WriteCheckpoint checkpoint, CancellationToken cancellationToken);
}

/// <summary>A multipart upload that was started and not finished.</summary>
public sealed record PendingUpload(string Path, string UploadId, DateTimeOffset? Initiated);

/// <summary>Facts about a store that are not methods.</summary>
/// <param name="RecordsSha256">Stat reports a SHA-256 for files Ferry wrote (S3 metadata).</param>
/// <param name="HasDirectories">Directories are real (SFTP) rather than key prefixes (S3).</param>
public sealed record ConnectorFeatures(bool RecordsSha256, bool HasDirectories);

/// <summary>Exposes <see cref="ConnectorFeatures"/>.</summary>
public interface IHasFeatures
{
    ConnectorFeatures Features { get; }
}

/// <summary>
/// A stream from <see cref="IConnector.OpenReadToEndAsync"/> that looks at its file again the moment
/// it has read it to the end, on its own connection and in the same round trip as the close. The
/// caller checks that the source did not change while it was read (a look after the read) while
/// it is still writing what it read, instead of after: for a small SFTP file, two of the round
/// trips a job waited for in turn.
/// </summary>
public interface ILooksAgainAtEnd
{
    /// <summary>The file as it was right after its end was read (null: gone by then); null until the end is read.</summary>
    Task<RemoteEntry?>? AtEnd { get; }
}
