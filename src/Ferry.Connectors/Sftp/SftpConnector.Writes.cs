using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.Core.Paths;
using Ferry.Core.Streams;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Ferry.Connectors.Sftp;

/// <summary>
/// Writing a file: opened (created or truncated; created only, for an exclusive create; as it is,
/// to continue a part file) and written through <see cref="SftpCallbackWriter"/>: SFTP writes of
/// 255 KiB to OpenSSH 8.6 and later (one channel packet to other servers), answered by callback. SSH.NET's <c>UploadFile</c> (32 KiB writes) stays as the fallback
/// for new files if an SSH.NET upgrade moves the internals the writer uses; part files then start
/// over. Part files outlive a failed attempt and are continued by the next
/// (<see cref="IResumableWrites"/>): a write asked for checkpoints reports one whenever the server
/// has confirmed everything up to another 8 MiB (<see cref="SftpUploadCheckpoints"/>). The
/// server's acknowledgement means sshd wrote the bytes, not that its disk synced them; a partner
/// server that crashes and loses written data between two attempts is caught only by a strict
/// (read-back) verification.
/// </summary>
public sealed partial class SftpConnector : IResumableWrites
{
    public async Task<WriteResult> WriteAsync(string path, Stream content, long length, WriteOptions options, CancellationToken cancellationToken)
    {
        var rel = RemotePath.Normalize(path);
        if (rel.Length == 0)
        {
            throw FerryException.Permanent(ErrorCodes.InvalidPath, $"{Describe(rel)}: cannot write to the base directory itself; name a file");
        }

        await CreateDirectoryAsync(RemotePath.Parent(rel), cancellationToken).ConfigureAwait(false);
        var (source, resumeAt) = SourceOf(content, length, options, cancellationToken);
        var checkpoints = options.Checkpointed is { } report && Sha256Hasher.CanSaveState ? new SftpUploadCheckpoints(source, rel, report) : null;
        var input = (Stream?)checkpoints ?? source;
        await RunAsync(rel, async c =>
        {
            try
            {
                await WriteFileAsync(c, rel, input, resumeAt, length, options.CreateOnly, checkpoints, () => source.Position == resumeAt, cancellationToken).ConfigureAwait(false);
            }
            catch (SshException) when (options.CreateOnly && source.Position == 0)
            {
                // An exclusive create failed before any byte was sent: find out whether that was because the file exists.
                if (await ExistsAsync(c, rel, cancellationToken).ConfigureAwait(false))
                {
                    throw FerryException.Permanent(ErrorCodes.AlreadyExists, $"{Describe(rel)} already exists");
                }

                throw;
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);
        await source.EnsureSourceExhaustedAsync(cancellationToken).ConfigureAwait(false);

        var written = await StatAsync(rel, cancellationToken).ConfigureAwait(false);
        if (written is null || written.Size != length)
        {
            throw FerryException.Transient(ErrorCodes.SizeMismatch,
                $"{Describe(rel)}: wrote {length} bytes but the server reports {written?.Size.ToString() ?? "no file"}");
        }

        var sha256 = source.Sha256Hex();
        if (options.Sha256 is { } expected && !Checksums.SameHex(expected, sha256))
        {
            throw FerryException.Transient(ErrorCodes.ChecksumMismatch,
                $"{Describe(rel)}: the bytes written hash to {sha256}, not the expected {expected}");
        }

        return new WriteResult(written.Size, sha256);
    }

    private static volatile string? _writerUnavailable = SftpCallbackWriter.Missing;

    /// <summary>
    /// Opens the file and writes <paramref name="input"/> into it from <paramref name="offset"/>
    /// (0: a new file) up to <paramref name="length"/>. <paramref name="untouched"/> tells whether nothing has been read from the
    /// source yet, so a writer that finds SSH.NET's internals gone can still hand a new file to
    /// <c>UploadFile</c>.
    /// </summary>
    private async Task WriteFileAsync(SftpClient c, string rel, Stream input, long offset, long length, bool createOnly, SftpUploadCheckpoints? checkpoints,
        Func<bool> untouched, CancellationToken cancellationToken)
    {
        if (_writerUnavailable is null)
        {
            try
            {
                var mode = offset > 0 ? SftpOpenMode.Existing : createOnly ? SftpOpenMode.CreateOnly : SftpOpenMode.Replace;
                await SftpCallbackWriter.WriteAsync(c, Full(rel), mode, input, offset, length, checkpoints is null ? null : checkpoints.Acknowledged, cancellationToken)
                    .ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (SftpSessionAccess.IsUnbound(ex))
            {
                // This SSH.NET moved the internals the writer uses: from now on, UploadFile; part files start over.
                _writerUnavailable = $"{ex.GetType().Name}: {ex.Message}";
                if (offset > 0 || !untouched())
                {
                    throw FerryException.Transient(ErrorCodes.ResumeFailed,
                        $"{Describe(rel)}: writing needs SSH.NET internals this version does not have ({ex.Message}); the next attempt starts over", ex);
                }
            }
        }

        if (offset > 0)
        {
            throw FerryException.Transient(ErrorCodes.ResumeFailed, $"{Describe(rel)}: part files cannot be continued with this SSH.NET ({_writerUnavailable}); the next attempt starts over");
        }

        // UploadFile is synchronous but pipelined: it keeps many write requests in flight.
        // It cannot take a token; the source stream throws on cancellation instead.
        Action<ulong>? written = checkpoints is null ? null : end => checkpoints.Acknowledged((long)end);
        await SftpBlockingCalls.Run(() => c.UploadFile(input, Full(rel), canOverride: !createOnly, written), CancellationToken.None).ConfigureAwait(false);
    }

    public async Task<bool> CanResumeAsync(WriteCheckpoint checkpoint, long length, CancellationToken cancellationToken)
    {
        if (_writerUnavailable is not null || !Sha256Hasher.CanSaveState || checkpoint.Offset > length)
        {
            return false;
        }

        try
        {
            Sha256Hasher.Restore(checkpoint.Sha256State, checkpoint.Offset).Dispose();
        }
        catch (FormatException)
        {
            return false;
        }

        // The part file must still hold at least the checkpoint's bytes, and no more than the file has.
        var part = await StatAsync(checkpoint.Path, cancellationToken).ConfigureAwait(false);
        return part is { IsDirectory: false } && part.Size >= checkpoint.Offset && part.Size <= length;
    }

    public Task DiscardAsync(WriteCheckpoint checkpoint, CancellationToken cancellationToken) => DeleteAsync(checkpoint.Path, cancellationToken);

    /// <summary>The content to write, hashed; and the offset it starts at (0 unless resuming).</summary>
    private static (ExactLengthReadStream Source, long ResumeAt) SourceOf(Stream content, long length, WriteOptions options, CancellationToken cancellationToken) =>
        (ExactLengthReadStream.ForWrite(content, length, options, cancellationToken), options.ResumeFrom?.Offset ?? 0);

    /// <summary>Null while files are written through <see cref="SftpCallbackWriter"/> (and part files can be continued); otherwise why not.</summary>
    internal static string? WriterUnavailable => _writerUnavailable;
}
