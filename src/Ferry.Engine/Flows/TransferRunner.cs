using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.Core.Jobs;
using Ferry.Core.Transfers;

namespace Ferry.Engine.Flows;

/// <summary>
/// Moves one file. Picks the strategy from what the two ends can do: a copy inside the target
/// store when it can read the source itself (S3 to S3 on the same store and credentials),
/// two legs through staging between two SFTP servers, and a single streaming pass otherwise.
/// </summary>
public sealed class TransferRunner
{
    private readonly TimeProvider _time;

    public TransferRunner(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    public static FlowStrategy ChooseStrategy(TransferRequest request)
    {
        var source = request.Source.Connector;
        var target = request.Target.Connector;
        if (target.GetCapability<IServerSideCopy>() is { } copy && copy.CanCopyFrom(source))
        {
            return FlowStrategy.ServerSideCopy;
        }

        return source.Scheme == "sftp" && target.Scheme == "sftp" && request.Staging is not null
            ? FlowStrategy.Staged
            : FlowStrategy.Streaming;
    }

    public async Task<TransferResult> RunAsync(TransferRequest request, CancellationToken cancellationToken)
    {
        ValidateIds(request.TransferId);
        var started = _time.GetTimestamp();
        var source = await request.Source.Connector.StatAsync(request.Source.Path, cancellationToken).ConfigureAwait(false)
            ?? throw FerryException.NotFound(request.Source.Describe());
        if (source.IsDirectory)
        {
            throw FerryException.Permanent(ErrorCodes.InvalidPath, $"{request.Source.Describe()} is a directory; name a file");
        }

        if (request.Resume is { Staged: { } staged } saved && saved.Source.Matches(source) && source.Sha256 is null)
        {
            // An earlier attempt staged this very version whole: its SHA-256 is known without reading the source again.
            source = source with { Sha256 = staged.Sha256 };
        }

        var strategy = ChooseStrategy(request);
        var guard = await OverwriteGuard.CheckAsync(request, source, cancellationToken).ConfigureAwait(false);
        if (guard.Skip)
        {
            return new TransferResult(request.Flow, strategy, source.Size, guard.Sha256, Skipped: true, _time.GetElapsedTime(started),
                ["The target already holds an identical file (same size and SHA-256); nothing was written."], source);
        }

        var meter = new ProgressMeter(source.Size, request.Progress, _time);
        var notes = new List<string>();
        var delivered = strategy switch
        {
            FlowStrategy.ServerSideCopy => await ServerSideCopyFlow.RunAsync(request, source, meter, cancellationToken).ConfigureAwait(false),
            FlowStrategy.Staged => await StagedFlow.RunAsync(request, source, meter, notes, cancellationToken).ConfigureAwait(false),
            _ => await StreamingFlow.RunAsync(request.Source, request.Target, source, request, meter, notes, CheckpointScope.Of(source), cancellationToken).ConfigureAwait(false),
        };

        if (request.Hooks?.Delivered is { } onDelivered && !Verifier.SettledByTheWrite(source.Size, delivered, request.EffectivePolicy.Verify))
        {
            await onDelivered(source.Size, delivered.Sha256, cancellationToken).ConfigureAwait(false);
        }

        var sha256 = await Verifier.VerifyAsync(request.Target, source.Size, delivered, request.EffectivePolicy.Verify, cancellationToken)
            .ConfigureAwait(false);
        meter.Complete();
        return new TransferResult(request.Flow, strategy, source.Size, sha256, Skipped: false, _time.GetElapsedTime(started), notes, source);
    }

    /// <summary>
    /// After the last attempt of a transfer that took checkpoints (<see cref="TransferHooks.Checkpointed"/>)
    /// failed, with no one left to continue it (<c>ferry copy</c>; the engine records its leftovers
    /// instead): removes the partial write <paramref name="saved"/> names (a kept multipart upload),
    /// the part file of an atomic delivery and any staging copy. Returns what could not be removed
    /// and why, or null when nothing is left.
    /// </summary>
    public static async Task<string?> RemoveLeftoversAsync(TransferRequest request, TransferCheckpoint? saved)
    {
        if (request.Staging is { } staging)
        {
            var staged = StagedFlow.StagedPath(request.TransferId, request.Source.Path);
            await Cleanup.DeleteQuietlyAsync(staging, StagedFlow.PartialStagedPath(staged)).ConfigureAwait(false);
            await Cleanup.DeleteQuietlyAsync(staging, staged).ConfigureAwait(false);
        }

        var target = request.Target.Connector;
        var partPath = target.GetCapability<IAtomicRename>() is null ? null : StreamingFlow.PartPath(request.Target.Path, request.TransferId);
        if (saved?.Write is null && partPath is null)
        {
            return null;
        }

        var error = await Cleanup.RemoveLeftoverAsync(target, saved?.Write, partPath).ConfigureAwait(false);
        return error is null ? null
            : partPath is not null ? $"{target.Describe(partPath)} could not be removed: {error}"
            : $"the unfinished upload to {target.Describe(saved!.Write!.Path)} could not be aborted: {error}";
    }

    private static void ValidateIds(string transferId)
    {
        if (string.IsNullOrWhiteSpace(transferId) || transferId.Length > 64 || !transferId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new ArgumentException("A transfer id is 1-64 ASCII letters, digits, '-' or '_'; it becomes part of file names.", nameof(transferId));
        }
    }
}
