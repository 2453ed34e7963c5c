namespace Ferry.Core.Connectors;

/// <summary>
/// The mandatory contract every storage connector implements. Paths are relative to the
/// endpoint's base and normalised with <see cref="Paths.RemotePath"/>; a path that would escape
/// the base fails with INVALID_PATH before anything is sent.
/// All failures surface as <see cref="Errors.FerryException"/>, classified transient or
/// permanent at this boundary.
/// Extra abilities (server-side copy, multipart upload, atomic rename, native checksums) are
/// optional capabilities: ask with <see cref="GetCapability{T}"/>, never cast.
/// </summary>
public interface IConnector : IAsyncDisposable
{
    /// <summary>"sftp", "s3" or "local": names flows ("sftp-to-s3") and selects strategies.</summary>
    string Scheme { get; }

    /// <summary>A short, secret-free description for messages, e.g. "sftp://alice@host:22/data".</summary>
    string Describe(string path);

    /// <summary>
    /// Lists the entries under <paramref name="path"/>. Missing directories yield nothing for S3
    /// (prefixes are not objects) and fail with NOT_FOUND for SFTP.
    /// Order is the store's own; callers that need an order sort.
    /// </summary>
    IAsyncEnumerable<RemoteEntry> ListAsync(string path, ListOptions options, CancellationToken cancellationToken);

    /// <summary>Returns the entry at <paramref name="path"/>, or null when nothing is there.</summary>
    Task<RemoteEntry?> StatAsync(string path, CancellationToken cancellationToken);

    /// <summary>
    /// Opens the file for reading from <paramref name="offset"/> to its end, or for
    /// <paramref name="length"/> bytes. Fails with NOT_FOUND when the file is missing.
    /// The stream is single-reader and must be disposed.
    /// </summary>
    Task<Stream> OpenReadAsync(string path, long offset, long? length, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="OpenReadAsync"/> from <paramref name="offset"/> to the end of a file the caller
    /// has just looked at and expects to hold <paramref name="expectedSize"/> bytes. Only a hint:
    /// a connector that reads in requests may size them to end there and confirm the end in the
    /// same round trip (SFTP: a small file takes two reads sent together); the stream still reads
    /// to the file's real end, so a file that changed is seen as changed.
    /// </summary>
    Task<Stream> OpenReadToEndAsync(string path, long offset, long expectedSize, CancellationToken cancellationToken) =>
        OpenReadAsync(path, offset, null, cancellationToken);

    /// <summary>
    /// Writes exactly <paramref name="length"/> bytes read from <paramref name="content"/> to
    /// <paramref name="path"/>, creating parent directories as needed and replacing an existing
    /// file unless <see cref="WriteOptions.CreateOnly"/>. Memory use is bounded whatever the length.
    /// Fails with SIZE_MISMATCH if the stream ends early or runs long. On failure nothing is left
    /// under <paramref name="path"/> that was not there before, except on SFTP, where a partial file
    /// may remain: atomic delivery writes to a temporary name and renames (<see cref="IAtomicRename"/>).
    /// </summary>
    Task<WriteResult> WriteAsync(string path, Stream content, long length, WriteOptions options, CancellationToken cancellationToken);

    /// <summary>Deletes a file. Deleting a missing file succeeds (the goal state holds).</summary>
    Task DeleteAsync(string path, CancellationToken cancellationToken);

    /// <summary>
    /// Moves a file, replacing the target. Not atomic on stores without rename (S3 copies, then
    /// deletes); use <see cref="IAtomicRename"/> where atomicity matters.
    /// </summary>
    Task RenameAsync(string from, string to, CancellationToken cancellationToken);

    /// <summary>Creates a directory and its parents; succeeds if it exists. A no-op on S3.</summary>
    Task CreateDirectoryAsync(string path, CancellationToken cancellationToken);

    /// <summary>Returns the capability if this connector has it, else null.</summary>
    T? GetCapability<T>() where T : class;
}
