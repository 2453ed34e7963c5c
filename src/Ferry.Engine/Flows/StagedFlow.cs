using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.Core.Jobs;
using Ferry.Core.Paths;
using Ferry.Core.Streams;
using Ferry.Core.Transfers;

namespace Ferry.Engine.Flows;

/// <summary>
/// SFTP to SFTP through a staging area. The source is read once and its bytes go to the staging
/// copy and to the target's "&lt;name&gt;.&lt;id&gt;.part" at the same time, so the transfer takes about as
/// long as the slower side rather than the sum of two legs. The SHA-256 is computed once, as the
/// source is read (<see cref="StreamFanOut"/>), and both writes report it once they have taken
/// every byte. Nothing is delivered until both are complete, report the same SHA-256 and the
/// source is confirmed unchanged; only then is the
/// part renamed into place. If only the delivery fails, the file is delivered again from
/// staging, without reading the partner's server a second time; if that fails too, the job's
/// checkpoint names the whole staged copy, and its retries deliver that copy for as long as the
/// partner still holds the same version. A job that fails for good leaves the copy for a re-drive
/// (the engine looks for it at <see cref="StagedPath"/> of the failed job) until the staging
/// sweep removes it.
/// </summary>
internal static class StagedFlow
{
    public static async Task<WriteResult> RunAsync(TransferRequest request, RemoteEntry source, ProgressMeter meter, List<string> notes, CancellationToken cancellationToken)
    {
        var staging = request.Staging ?? throw FerryException.Permanent(ErrorCodes.InvalidConfiguration, "SFTP to SFTP needs a staging area");
        var staged = new TransferLocation(staging, StagedPath(request.TransferId, request.Source.Path));
        var target = request.Target;
        var atomic = target.Connector.GetCapability<IAtomicRename>()
            ?? throw FerryException.Permanent(ErrorCodes.Unsupported, $"{target.Describe()} cannot rename atomically");

        WriteResult result;
        if (await EarlierStagedCopyAsync(request, source, staged, cancellationToken).ConfigureAwait(false) is { } earlier)
        {
            notes.Add("An earlier attempt staged the whole file; that copy was delivered without reading the source again.");
            result = await DeliverStagedAsync(request, source, staged, earlier, remember: false, meter, notes, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            result = await FirstPassAsync(request, source, staged, atomic, meter, notes, cancellationToken).ConfigureAwait(false);
        }

        // Crash before this delete leaves a staged copy behind; staging cleanup removes it later.
        await Cleanup.DeleteQuietlyAsync(staging, staged.Path, notes).ConfigureAwait(false);
        return result;
    }

    private static async Task<WriteResult> FirstPassAsync(
        TransferRequest request, RemoteEntry source, TransferLocation staged, IAtomicRename atomic, ProgressMeter meter, List<string> notes, CancellationToken cancellationToken)
    {
        var target = request.Target;
        var partPath = StreamingFlow.PartPath(target.Path, request.TransferId);
        var (stagedResult, deliveredResult, deliveryError, atEnd) = await StageAndDeliverAsync(request, source, staged, partPath, meter, cancellationToken)
            .ConfigureAwait(false);
        await StreamingFlow.EnsureUnchangedAsync(request.Source, source, cancellationToken, atEnd).ConfigureAwait(false);
        if (deliveryError is not null)
        {
            notes.Add($"Delivery while staging failed ({deliveryError.Message}); delivered again from the staged copy.");
            var copy = new StagedCopy(staged.Path, stagedResult.Sha256
                ?? throw FerryException.Transient(ErrorCodes.InternalError, $"{staged.Describe()}: the staging store reported no SHA-256"));
            return await DeliverStagedAsync(request, source, staged, copy, remember: true, meter, notes, cancellationToken).ConfigureAwait(false);
        }

        if (!Checksums.SameHex(stagedResult.Sha256, deliveredResult!.Sha256))
        {
            await Cleanup.DeleteQuietlyAsync(target.Connector, partPath).ConfigureAwait(false);
            throw FerryException.Transient(ErrorCodes.ChecksumMismatch,
                $"the staged copy hashes to {stagedResult.Sha256} but the bytes sent to {target.Describe()} hash to {deliveredResult.Sha256}");
        }

        // Crash here: a complete, verified .part and staged copy exist; the target is untouched.
        await request.BeforeCommitAsync(cancellationToken).ConfigureAwait(false);
        var outcome = await atomic.RenameAtomicAsync(partPath, target.Path, request.EffectivePolicy.Overwrite != OverwriteMode.FailIfExists, cancellationToken)
            .ConfigureAwait(false);
        if (outcome == RenameOutcome.DeleteThenRename)
        {
            notes.Add($"{target.Connector.Describe("")} has no posix-rename: the old file was deleted before the new one was renamed into place.");
        }

        return deliveredResult;
    }

    /// <summary>
    /// The whole staging copy an earlier attempt of this transfer left (its checkpoint names it),
    /// while the source is still the version it was staged from and the copy is still whole.
    /// </summary>
    private static async Task<StagedCopy?> EarlierStagedCopyAsync(TransferRequest request, RemoteEntry source, TransferLocation staged, CancellationToken cancellationToken)
    {
        if (request.Resume is not { Staged: { } copy } saved || copy.Path != staged.Path || !saved.Source.Matches(source))
        {
            // A partner's newer version is read and staged afresh, over the old copy.
            return null;
        }

        var entry = await staged.Connector.StatAsync(copy.Path, cancellationToken).ConfigureAwait(false);
        return entry is { IsDirectory: false } && entry.Size == source.Size ? copy : null;
    }

    /// <summary>
    /// Delivers the staging copy of <paramref name="source"/>. Its checkpoints name the copy and
    /// the source version it holds, so a retry continues this delivery rather than the partner's read.
    /// </summary>
    /// <param name="remember">Save that the copy is whole now, before any of the delivery is (the target may be down for a while).</param>
    private static async Task<WriteResult> DeliverStagedAsync(
        TransferRequest request, RemoteEntry source, TransferLocation staged, StagedCopy copy, bool remember, ProgressMeter meter, List<string> notes,
        CancellationToken cancellationToken)
    {
        var entry = await staged.Connector.StatAsync(staged.Path, cancellationToken).ConfigureAwait(false)
            ?? throw FerryException.Transient(ErrorCodes.NotFound, $"{staged.Describe()} vanished before it could be delivered");
        var scope = new CheckpointScope(SourceVersion.Of(source), copy);
        if (remember && request.Hooks?.Checkpointed is { } save)
        {
            save(scope.With(null));
        }

        meter.BeginStage("deliver");
        return await StreamingFlow.RunAsync(staged, request.Target, entry with { Sha256 = copy.Sha256 }, request, meter, notes, scope, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the source once into both the staging copy and the target's part file. With
    /// checkpoints (the engine's jobs), both writes can be continued by the next attempt, which
    /// reads the source only from where the two left off (<see cref="FirstPassCheckpoints"/>).
    /// </summary>
    /// <returns>Also the look the source's stream took at its end (<see cref="ILooksAgainAtEnd"/>), if it took one.</returns>
    private static async Task<(WriteResult Staged, WriteResult? Delivered, FerryException? DeliveryError, Task<RemoteEntry?>? AtEnd)> StageAndDeliverAsync(
        TransferRequest request, RemoteEntry source, TransferLocation staged, string partPath, ProgressMeter meter, CancellationToken cancellationToken)
    {
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var target = request.Target.Connector;
        // A staging copy is written under a temporary name where the store renames, so an
        // interrupted one is never taken for a whole copy by a re-drive.
        var stagingRename = staged.Connector.GetCapability<IAtomicRename>();
        var staging = stagingRename is null ? staged : staged with { Path = PartialStagedPath(staged.Path) };
        var checkpoints = await FirstPassCheckpoints.StartAsync(request, source, staging, new TransferLocation(target, partPath), cancellationToken).ConfigureAwait(false);
        var start = checkpoints?.Start ?? 0;
        if (start > 0 && request.Hooks?.Resuming is { } resuming)
        {
            await resuming(start, source.Size, cancellationToken).ConfigureAwait(false);
        }

        meter.ResumeAt(start);
        await using var read = await request.Source.Connector.OpenReadToEndAsync(request.Source.Path, start, source.Size, cancellationToken).ConfigureAwait(false);
        var fan = StreamFanOut.Create(new ProgressReadStream(read, meter), readers: 2);

        // Staging must succeed (it is the copy a re-drive relies on): its failure stops everything.
        var stage = WriteAsync(staging, fan.Readers[0], start, new WriteOptions(Sha256: source.Sha256, ResumeFrom: checkpoints?.StagingResume, Checkpointed: checkpoints is null ? null : checkpoints.Staged),
            source.Size, abort, cancelOthersOnFailure: true);
        var deliver = WriteAsync(new TransferLocation(target, partPath), fan.Readers[1], start,
            new WriteOptions(Sha256: source.Sha256, DeliveredFor: request.DeliveredFor, ResumeFrom: checkpoints?.DeliveryResume, Checkpointed: checkpoints is null ? null : checkpoints.Delivered),
            source.Size, abort, cancelOthersOnFailure: false);
        var pump = fan.PumpAsync(abort.Token);
        try
        {
            await Task.WhenAll(stage, deliver, pump).ConfigureAwait(false);
        }
        catch
        {
            // Inspected below: each task is awaited on its own so the right error surfaces.
        }

        if (pump.IsFaulted || stage.IsFaulted || stage.IsCanceled)
        {
            if (checkpoints is null)
            {
                await Cleanup.DeleteQuietlyAsync(target, partPath).ConfigureAwait(false);
                await Cleanup.DeleteQuietlyAsync(staging.Connector, staging.Path).ConfigureAwait(false);
            }

            // With checkpoints both are the next attempt's to continue, or the engine's to remove.
            cancellationToken.ThrowIfCancellationRequested();
            // The source's own error first: it explains why both sides stopped.
            await (pump.IsFaulted ? pump : stage).ConfigureAwait(false);
        }

        var stagedResult = await stage.ConfigureAwait(false);
        if (stagingRename is not null)
        {
            await stagingRename.RenameAtomicAsync(staging.Path, staged.Path, replaceExisting: true, cancellationToken).ConfigureAwait(false);
        }

        var atEnd = (read as ILooksAgainAtEnd)?.AtEnd;
        if (deliver.IsCompletedSuccessfully)
        {
            return (stagedResult, await deliver.ConfigureAwait(false), null, atEnd);
        }

        await Cleanup.DeleteQuietlyAsync(target, partPath).ConfigureAwait(false);
        var error = deliver.Exception?.InnerException as FerryException
            ?? FerryException.Transient(ErrorCodes.ServerError, deliver.Exception?.InnerException?.Message ?? "delivery was interrupted");
        if (!error.IsTransient)
        {
            // Authentication, permission, host key: delivering again now cannot help, but once the
            // partner fixes it a re-drive delivers this staged copy without reading the source again.
            throw error;
        }

        return (stagedResult, null, error, atEnd);
    }

    /// <param name="start">Where the source is read from; a write continued from further on skips to its own offset.</param>
    private static async Task<WriteResult> WriteAsync(
        TransferLocation to, Stream content, long start, WriteOptions options, long length, CancellationTokenSource abort, bool cancelOthersOnFailure)
    {
        var skip = (options.ResumeFrom?.Offset ?? 0) - start;
        var from = skip > 0 ? new SkippingReadStream(content, skip) : content;
        try
        {
            return await to.Connector.WriteAsync(to.Path, from, length, options, abort.Token).ConfigureAwait(false);
        }
        catch when (cancelOthersOnFailure)
        {
            await abort.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            // Tells the pump this reader is gone, so it keeps feeding the other one.
            await from.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Where a staging copy is written until it is whole (stores that rename): "&lt;staged path&gt;.part".</summary>
    public static string PartialStagedPath(string stagedPath) => stagedPath + ".part";

    /// <summary>Where a transfer's file is staged: "&lt;transfer id&gt;/&lt;file name&gt;".</summary>
    public static string StagedPath(string transferId, string sourcePath) => $"{transferId}/{RemotePath.FileName(RemotePath.Normalize(sourcePath))}";
}
