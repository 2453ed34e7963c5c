using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.Core.Streams;
using Renci.SshNet;

namespace Ferry.Connectors.Sftp;

/// <summary>
/// Part files that outlive a failed attempt and are continued by the next (<see cref="IResumableWrites"/>).
/// A write asked for checkpoints reports one whenever the server has confirmed everything up to
/// another 8 MiB (<see cref="SftpUploadCheckpoints"/>); a resumed write opens the part file
/// without truncating it and writes the rest from the checkpoint's offset
/// (<see cref="SftpOffsetWriter"/>). The server's acknowledgement means sshd wrote the bytes, not
/// that its disk synced them; a partner server that crashes and loses written data between two
/// attempts is caught only by a strict (read-back) verification.
/// </summary>
public sealed partial class SftpConnector : IResumableWrites
{
    private static volatile string? _offsetWritesUnavailable = SftpSessionAccess.Missing;

    public async Task<bool> CanResumeAsync(WriteCheckpoint checkpoint, long length, CancellationToken cancellationToken)
    {
        if (_offsetWritesUnavailable is not null || !Sha256Hasher.CanSaveState || checkpoint.Offset > length)
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
        options.ResumeFrom is { Offset: > 0 } resume
            ? (ExactLengthReadStream.Resuming(content, length, resume.Offset, resume.Sha256State, cancellationToken), resume.Offset)
            : (new ExactLengthReadStream(content, length, cancellationToken), 0);

    private async Task ContinueAsync(SftpClient c, string rel, Stream input, long offset, SftpUploadCheckpoints? checkpoints, CancellationToken cancellationToken)
    {
        try
        {
            await SftpOffsetWriter.WriteAsync(c, Full(rel), input, offset, checkpoints is null ? null : checkpoints.Acknowledged, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (SftpSessionAccess.IsUnbound(ex))
        {
            // This SSH.NET moved the internals the offset writer uses: from now on part files start over.
            _offsetWritesUnavailable = $"{ex.GetType().Name}: {ex.Message}";
            throw FerryException.Transient(ErrorCodes.ResumeFailed,
                $"{Describe(rel)}: continuing the part file needs SSH.NET internals this version does not have ({ex.Message}); the next attempt starts over", ex);
        }
    }

    /// <summary>Null while part files can be continued with the SSH.NET in use; otherwise why not.</summary>
    internal static string? OffsetWritesUnavailable => _offsetWritesUnavailable;
}
