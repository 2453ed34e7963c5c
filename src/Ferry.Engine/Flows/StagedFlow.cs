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

    /// <summary>Reads the source once into both the staging copy and the target's part file.</summary>
    private static async Task<(WriteResult Staged, WriteResult? Delivered, FerryException? DeliveryError)> StageAndDeliverAsync(
        TransferRequest request, RemoteEntry source, TransferLocation staged, string partPath, ProgressMeter meter, CancellationToken cancellationToken)
    {
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var target = request.Target.Connector;
        await using var read = await request.Source.Connector.OpenReadAsync(request.Source.Path, 0, null, cancellationToken).ConfigureAwait(false);
        var fan = StreamFanOut.Create(new ProgressReadStream(read, meter), readers: 2);

        // Staging must succeed (it is the copy a re-drive relies on): its failure stops everything.
        var stage = WriteAsync(staged.Connector, staged.Path, fan.Readers[0], source, null, abort, cancelOthersOnFailure: true);
        var deliver = WriteAsync(target, partPath, fan.Readers[1], source, request.DeliveredFor, abort, cancelOthersOnFailure: false);
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
            await Cleanup.DeleteQuietlyAsync(target, partPath).ConfigureAwait(false);
            await Cleanup.DeleteQuietlyAsync(staged.Connector, staged.Path).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            // The source's own error first: it explains why both sides stopped.
            await (pump.IsFaulted ? pump : stage).ConfigureAwait(false);
        }

        if (deliver.IsCompletedSuccessfully)
        {
            return (await stage.ConfigureAwait(false), await deliver.ConfigureAwait(false), null);
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

        return (await stage.ConfigureAwait(false), null, error);
    }

    private static async Task<WriteResult> WriteAsync(
        IConnector connector, string path, Stream content, RemoteEntry source, string? deliveredFor, CancellationTokenSource abort, bool cancelOthersOnFailure)
    {
        try
        {
            return await connector.WriteAsync(path, content, source.Size, new WriteOptions(Sha256: source.Sha256, DeliveredFor: deliveredFor), abort.Token).ConfigureAwait(false);
        }
        catch when (cancelOthersOnFailure)
        {
            await abort.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            // Tells the pump this reader is gone, so it keeps feeding the other one.
            await content.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Where a transfer's file is staged: "&lt;transfer id&gt;/&lt;file name&gt;".</summary>
    public static string StagedPath(string transferId, string sourcePath) => $"{transferId}/{RemotePath.FileName(RemotePath.Normalize(sourcePath))}";
}
