using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.Core.Jobs;
using Ferry.Core.Paths;
using Ferry.Core.Streams;
using Ferry.Core.Transfers;

namespace Ferry.Engine.Flows;

/// <summary>
/// One pass from source to target. Where the target has <see cref="IAtomicRename"/> (SFTP, local)
/// the bytes go to "&lt;name&gt;.&lt;transfer id&gt;.part" beside the target and are renamed over it
/// only after they are complete, checked, and the source is confirmed unchanged: a reader never
/// sees a partial file under the final name. S3 needs no temporary name - an object appears only
/// when its PUT or multipart upload completes. Where the target can continue an interrupted write
/// (<see cref="IResumableWrites"/>: S3 multipart uploads, SFTP part files) the write reports
/// checkpoints, and a retry of the same source version reads only what the target does not hold yet.
/// </summary>
internal static class StreamingFlow
{
    /// <param name="scope">What checkpoints are saved for and continued against: <see cref="CheckpointScope.Of"/> the source, or a staged copy's.</param>
    public static async Task<WriteResult> RunAsync(
        TransferLocation from, TransferLocation to, RemoteEntry source, TransferRequest request, ProgressMeter meter, List<string> notes,
        CheckpointScope scope, CancellationToken cancellationToken)
    {
        var policy = request.EffectivePolicy;
        var atomic = to.Connector.GetCapability<IAtomicRename>();
        var writePath = atomic is null ? to.Path : PartPath(to.Path, request.TransferId);
        var resumable = to.Connector.GetCapability<IResumableWrites>();
        var resume = await ResumePointAsync(resumable, request, scope, source.Size, writePath, cancellationToken).ConfigureAwait(false);
        var checkpointed = resumable is not null && Sha256Hasher.CanSaveState && request.Hooks?.Checkpointed is { } save
            ? (Action<WriteCheckpoint>)(w => save(scope.With(w)))
            : null;
        Stream? reading = null;
        var options = new WriteOptions(CreateOnly: atomic is null && policy.Overwrite == OverwriteMode.FailIfExists, Sha256: source.Sha256, DeliveredFor: request.DeliveredFor,
            ResumeFrom: resume, Checkpointed: checkpointed, BeforeCompleting: atomic is null ? BeforeCompletingAsync : null);

        // Before a multipart upload completes: the lease, and the source as it was when its end was
        // read (that look has long been answered by then), so a changed source is never made visible.
        async Task BeforeCompletingAsync(CancellationToken ct)
        {
            await request.BeforeCommitAsync(ct).ConfigureAwait(false);
            if ((reading as ILooksAgainAtEnd)?.AtEnd is { } atEnd)
            {
                await EnsureUnchangedAsync(from, source, ct, atEnd).ConfigureAwait(false);
            }
        }

        var offset = resume?.Offset ?? 0;
        meter.ResumeAt(offset);

        WriteResult written;
        try
        {
            if (atomic is null)
            {
                // Without a part file the write itself delivers (an S3 object appears when it
                // completes): checked before it starts, and again before a multipart upload
                // completes; a single PUT's source is checked after it (a look before would put a
                // round trip back on a small file's path).
                await request.BeforeCommitAsync(cancellationToken).ConfigureAwait(false);
            }

            // Read to the source's end rather than to the size it reported: a file still growing
            // is then caught (SIZE_MISMATCH) instead of silently truncated.
            await using (var read = await from.Connector.OpenReadToEndAsync(from.Path, offset, source.Size, cancellationToken).ConfigureAwait(false))
            await using (var counted = new ProgressReadStream(read, meter))
            {
                reading = read;
                written = await to.Connector.WriteAsync(writePath, counted, source.Size, options, cancellationToken).ConfigureAwait(false);
            }

            await EnsureUnchangedAsync(from, source, cancellationToken, (reading as ILooksAgainAtEnd)?.AtEnd).ConfigureAwait(false);
            if (atomic is not null)
            {
                // Crash here: the .part file is complete but not delivered; the target is untouched.
                await request.BeforeCommitAsync(cancellationToken).ConfigureAwait(false);
                var outcome = await atomic.RenameAtomicAsync(writePath, to.Path, replaceExisting: policy.Overwrite != OverwriteMode.FailIfExists, cancellationToken)
                    .ConfigureAwait(false);
                if (outcome == RenameOutcome.DeleteThenRename)
                {
                    notes.Add($"{to.Connector.Describe("")} has no posix-rename: the old file was deleted before the new one was renamed into place.");
                }
            }
        }
        catch (Exception ex) when (atomic is not null && checkpointed is null)
        {
            // With checkpoints the part file is the next attempt's to continue, or the engine's to discard.
            var reported = await Cleanup.DeleteAfterFailureAsync(to.Connector, writePath, ex).ConfigureAwait(false);
            if (ReferenceEquals(reported, ex))
            {
                throw;
            }

            throw reported;
        }

        return written;
    }

    /// <summary>
    /// The checkpoint to continue from: the request's, when it is for this path and scope (source
    /// version) and the target still holds what it describes. A checkpoint that cannot be used is
    /// discarded (its multipart upload aborted) and the transfer starts over.
    /// </summary>
    private static async Task<WriteCheckpoint?> ResumePointAsync(
        IResumableWrites? target, TransferRequest request, CheckpointScope scope, long length, string writePath, CancellationToken cancellationToken)
    {
        if (request.Resume?.Write is not { } saved || target is null)
        {
            return null;
        }

        if (saved.Path == writePath && scope.Covers(request.Resume) && await target.CanResumeAsync(saved, length, cancellationToken).ConfigureAwait(false))
        {
            if (saved.Offset > 0 && request.Hooks?.Resuming is { } resuming)
            {
                await resuming(saved.Offset, length, cancellationToken).ConfigureAwait(false);
            }

            return saved;
        }

        await Cleanup.DiscardQuietlyAsync(target, saved).ConfigureAwait(false);
        return null;
    }

    /// <summary>"dir/report.csv" with id "j1" gives "dir/report.csv.j1.part".</summary>
    public static string PartPath(string targetPath, string transferId)
    {
        var normalized = RemotePath.Normalize(targetPath);
        return $"{normalized}.{transferId}.part";
    }

    /// <summary>Fails with SOURCE_CHANGED if the source's size, time or ETag moved while it was read.</summary>
    /// <param name="atEnd">The look the read stream took as it reached the end (<see cref="ILooksAgainAtEnd"/>), if it took one: asked again only if it failed.</param>
    public static async Task EnsureUnchangedAsync(TransferLocation from, RemoteEntry before, CancellationToken cancellationToken, Task<RemoteEntry?>? atEnd = null)
    {
        RemoteEntry? after;
        try
        {
            after = atEnd is null ? await from.Connector.StatAsync(from.Path, cancellationToken).ConfigureAwait(false) : await atEnd.ConfigureAwait(false);
        }
        catch (FerryException ex) when (atEnd is not null && ex.IsTransient)
        {
            after = await from.Connector.StatAsync(from.Path, cancellationToken).ConfigureAwait(false);
        }

        if (after is null || after.Size != before.Size || after.LastModified != before.LastModified || after.ETag != before.ETag)
        {
            throw FerryException.Transient(ErrorCodes.SourceChanged,
                $"{from.Describe()} changed while it was being read; nothing was delivered. It will be read again on retry.");
        }
    }
}
