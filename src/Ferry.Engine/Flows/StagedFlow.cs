using Ferry.Core.Connectors;
using Ferry.Core.Errors;
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
/// staging, without reading the partner's server a second time; if that fails too, the staged
/// copy stays for a re-drive (the engine looks for it at <see cref="StagedPath"/> of the failed
/// job) until the staging sweep removes it.
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
        var partPath = StreamingFlow.PartPath(target.Path, request.TransferId);
        var replace = request.EffectivePolicy.Overwrite != OverwriteMode.FailIfExists;

        var (stagedResult, deliveredResult, deliveryError) = await StageAndDeliverAsync(request, source, staged, partPath, meter, cancellationToken)
            .ConfigureAwait(false);
        await StreamingFlow.EnsureUnchangedAsync(request.Source, source, cancellationToken).ConfigureAwait(false);

        WriteResult result;
        if (deliveryError is null)
        {
            if (!Checksums.SameHex(stagedResult.Sha256, deliveredResult!.Sha256))
            {
                await Cleanup.DeleteQuietlyAsync(target.Connector, partPath).ConfigureAwait(false);
                throw FerryException.Transient(ErrorCodes.ChecksumMismatch,
                    $"the staged copy hashes to {stagedResult.Sha256} but the bytes sent to {target.Describe()} hash to {deliveredResult.Sha256}");
            }

            // Crash here: a complete, verified .part and staged copy exist; the target is untouched.
            await request.BeforeCommitAsync(cancellationToken).ConfigureAwait(false);
            var outcome = await atomic.RenameAtomicAsync(partPath, target.Path, replace, cancellationToken).ConfigureAwait(false);
            if (outcome == RenameOutcome.DeleteThenRename)
            {
                notes.Add($"{target.Connector.Describe("")} has no posix-rename: the old file was deleted before the new one was renamed into place.");
            }

            result = deliveredResult;
        }
        else
        {
            notes.Add($"Delivery while staging failed ({deliveryError.Message}); delivered again from the staged copy.");
            var stagedEntry = await staging.StatAsync(staged.Path, cancellationToken).ConfigureAwait(false)
                ?? throw FerryException.Transient(ErrorCodes.NotFound, $"{staged.Describe()} vanished right after staging");
            meter.BeginStage("deliver");
            result = await StreamingFlow.RunAsync(staged, target, stagedEntry with { Sha256 = stagedResult.Sha256 }, request, meter, notes, cancellationToken)
                .ConfigureAwait(false);
        }

        // Crash before this delete leaves a staged copy behind; staging cleanup removes it later.
        await Cleanup.DeleteQuietlyAsync(staging, staged.Path, notes).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// Reads the source once into both the staging copy and the target's part file. With
    /// checkpoints (the engine's jobs), both writes can be continued by the next attempt, which
    /// reads the source only from where the two left off (<see cref="FirstPassCheckpoints"/>).
    /// </summary>
    private static async Task<(WriteResult Staged, WriteResult? Delivered, FerryException? DeliveryError)> StageAndDeliverAsync(
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
        await using var read = await request.Source.Connector.OpenReadAsync(request.Source.Path, start, null, cancellationToken).ConfigureAwait(false);
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

        if (deliver.IsCompletedSuccessfully)
        {
            return (stagedResult, await deliver.ConfigureAwait(false), null);
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

        return (stagedResult, null, error);
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
